import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../create-trick.js'
import { ScaffoldError, trickNames } from '../create-trick/names.js'
import { addRootDependency, registerSuite } from '../create-trick/registration.js'
import { createTrick } from '../create-trick/scaffold.js'

const REPO = resolve(import.meta.dirname, '../..')
const BIN = join(REPO, 'node_modules/.bin')

/** A workspace root in a temp folder with the files create-trick reads (no packages but core's manifest). */
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'create-trick-'))
  for (const f of ['package.json', 'converge-bench.config.ts', 'tsconfig.base.json']) cpSync(join(REPO, f), join(root, f))
  mkdirSync(join(root, 'packages/core'), { recursive: true })
  cpSync(join(REPO, 'packages/core/package.json'), join(root, 'packages/core/package.json'))
  return root
}

/** Output and exit code of a command. */
function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  // A nested vitest must not think it is a worker of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST'))
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('close', (code) => done({ code, out }))
  })
}

describe('trick names', () => {
  it('derives the package name and identifiers from a kebab-case name', () => {
    expect(trickNames('gradient-noise')).toEqual({
      name: 'gradient-noise',
      packageName: '@converge/gradient-noise',
      camel: 'gradientNoise',
      pascal: 'GradientNoise',
      suite: 'gradientNoiseSuite',
    })
    expect(trickNames('sam2').camel).toBe('sam2')
  })
  it.each(['Demo', 'my_trick', '-demo', 'demo-', 'a--b', '2fast', '', 'x'.repeat(41)])('rejects %j', (name) => {
    expect(() => trickNames(name)).toThrow(ScaffoldError)
  })
  it('rejects a name whose factory would be a reserved word', () => {
    expect(() => trickNames('delete')).toThrow(/reserved word/)
  })
})

describe('registration edits', () => {
  const suite = { identifier: 'demoSuite', from: '@converge/demo/bench' }
  it('adds an import after the last import and the suite at the end of a one-line list', () => {
    const config = `import { a } from 'x'\nimport {\n  b,\n  c,\n} from 'y'\n\nexport default defineBenchConfig({ suites: [a, b, c] })\n`
    expect(registerSuite(config, suite)).toBe(
      `import { a } from 'x'\nimport {\n  b,\n  c,\n} from 'y'\nimport { demoSuite } from '@converge/demo/bench'\n\nexport default defineBenchConfig({ suites: [a, b, c, demoSuite] })\n`,
    )
  })
  it('keeps a multi-line list one suite per line, with or without a trailing comma', () => {
    const withComma = `import { a } from 'x'\nexport default defineBenchConfig({\n  suites: [\n    a,\n    b, // the second\n  ],\n})\n`
    expect(registerSuite(withComma, suite)).toContain(`  suites: [\n    a,\n    b, // the second\n    demoSuite,\n  ],`)
    const noComma = `import { a } from 'x'\nexport default defineBenchConfig({\n  suites: [\n    a,\n    fn([1, 2])\n  ],\n})\n`
    expect(registerSuite(noComma, suite)).toContain(`  suites: [\n    a,\n    fn([1, 2]),\n    demoSuite\n  ],`)
  })
  it('fills an empty list', () => {
    expect(registerSuite(`export default defineBenchConfig({ suites: [] })\n`, suite)).toBe(
      `import { demoSuite } from '@converge/demo/bench'\nexport default defineBenchConfig({ suites: [demoSuite] })\n`,
    )
  })
  it('refuses a config it cannot edit safely, naming what to add by hand', () => {
    expect(() => registerSuite(`export default defineBenchConfig(config)\n`, suite)).toThrow(/found no `suites: \[\.\.\.\]` list; add `import \{ demoSuite \}/)
    expect(() => registerSuite(`export default { suites: [a, b`, suite)).toThrow(/not a closed array literal/)
    expect(() => registerSuite(`import { demoSuite } from 'z'\nexport default { suites: [demoSuite] }`, suite)).toThrow(/already mentions demoSuite/)
  })
  it('adds the workspace dependency in sorted order and refuses a duplicate', () => {
    const pkg = JSON.stringify({ name: 'w', dependencies: { '@converge/core': 'workspace:*', '@converge/frugal': 'workspace:*' } })
    expect(Object.keys(JSON.parse(addRootDependency(pkg, '@converge/demo')).dependencies)).toEqual(['@converge/core', '@converge/demo', '@converge/frugal'])
    expect(() => addRootDependency(pkg, '@converge/core')).toThrow(/already depends/)
  })
})

describe('create-trick command', () => {
  it('exits with 2 and writes nothing for a bad or taken name', () => {
    const root = tempRoot()
    const before = readFileSync(join(root, 'package.json'), 'utf8')
    try {
      expect(main(['Not-Kebab'], root)).toBe(2)
      expect(main(['core', '--no-install'], root)).toBe(2) // @converge/core exists
      expect(main([], root)).toBe(2)
      expect(main(['a', 'b'], root)).toBe(2)
      expect(main(['demo', '--bogus'], root)).toBe(2)
      expect(readFileSync(join(root, 'package.json'), 'utf8')).toBe(before)
      expect(existsSync(join(root, 'packages/tricks'))).toBe(false)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
  it('refuses a folder that already exists', () => {
    const root = tempRoot()
    try {
      mkdirSync(join(root, 'packages/tricks/demo'), { recursive: true })
      expect(() => createTrick({ name: 'demo', root, install: false })).toThrow(/packages\/tricks\/demo already exists/)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

/**
 * Links node_modules in the temp root the way pnpm install would: the root sees everything the
 * repository's root sees plus the new package; the new package sees its declared dependencies.
 */
function linkWorkspace(root: string, pkgDir: string, packageName: string): void {
  const rootModules = join(root, 'node_modules')
  mkdirSync(join(rootModules, '@converge'), { recursive: true })
  for (const entry of readdirSync(join(REPO, 'node_modules'))) {
    if (entry !== '@converge' && !entry.startsWith('.')) symlinkSync(join(REPO, 'node_modules', entry), join(rootModules, entry))
  }
  for (const entry of readdirSync(join(REPO, 'node_modules/@converge'))) symlinkSync(join(REPO, 'node_modules/@converge', entry), join(rootModules, '@converge', entry))
  symlinkSync(pkgDir, join(rootModules, packageName))

  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>
  const where = (dep: string) => realpathSync(existsSync(join(REPO, 'node_modules', dep)) ? join(REPO, 'node_modules', dep) : join(REPO, 'packages/core/node_modules', dep))
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) {
    const link = join(pkgDir, 'node_modules', dep)
    mkdirSync(resolve(link, '..'), { recursive: true })
    symlinkSync(where(dep), link)
  }
}

describe('a scaffolded trick package', () => {
  let root = ''
  let pkgDir = ''
  beforeAll(() => {
    root = tempRoot()
    const created = createTrick({ name: 'demo', root, install: false })
    pkgDir = created.dir
    linkWorkspace(root, pkgDir, created.names.packageName)
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({ extends: './tsconfig.base.json', compilerOptions: { noEmit: true }, include: ['packages/tricks/demo/src', 'packages/tricks/demo/test'] }),
    )
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('has the files of a trick package and a method card with the fixed headings', () => {
    for (const f of ['package.json', 'tsconfig.build.json', 'src/index.ts', 'src/demo.ts', 'src/bench-suite.ts', 'test/contract.test.ts', 'README.md']) {
      expect(existsSync(join(pkgDir, f)), f).toBe(true)
    }
    const headings = readFileSync(join(pkgDir, 'README.md'), 'utf8').match(/^## .*/gm)
    expect(headings).toEqual(['## What it does', '## When to use it', '## Options', '## Measured results', '## Differences from the paper', '## Pitfalls'])
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies['@converge/demo']).toBe('workspace:*')
  })

  // The three checks spawn tsc, vitest and the bench CLI; run together they take ~20 s on a loaded machine.
  it('type-checks, passes its contract test, and is listed by the bench', async () => {
    const [tsc, tests, list] = await Promise.all([
      run(join(BIN, 'tsc'), ['-p', join(root, 'tsconfig.json')], root),
      run(join(BIN, 'vitest'), ['run', '--root', pkgDir], pkgDir),
      run(join(BIN, 'tsx'), [join(REPO, 'packages/bench/src/cli.ts'), '--list', '--config', join(root, 'converge-bench.config.ts')], root),
    ])
    expect(tsc.code, tsc.out).toBe(0)
    expect(tests.code, tests.out).toBe(0)
    expect(tests.out).toMatch(/\d+ passed/)
    expect(tests.out).not.toMatch(/\d+ failed/)
    expect(list.code, list.out).toBe(0)
    expect(list.out).toMatch(/^demo: demo vs Adam/m)
    expect(list.out).toMatch(/- demo-off: negative control/)
  }, 180_000)
})
