import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../src/cli.js'
import { runAblation } from '../src/index.js'
import { tinySuite } from './fixtures/tiny-suite.js'

const errors: string[] = []
const logs: string[] = []
vi.spyOn(console, 'error').mockImplementation((...a) => void errors.push(a.join(' ')))
vi.spyOn(console, 'log').mockImplementation((...a) => void logs.push(a.join(' ')))
afterEach(() => {
  errors.length = 0
  logs.length = 0
})
const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'converge-bench-cli-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const config = join(process.cwd(), 'converge-bench.config.ts')
const tinyConfig = join(import.meta.dirname, 'fixtures', 'tiny.config.ts')
const fixtureSuite = join(import.meta.dirname, 'fixtures', 'tiny-suite.ts')

/** A config file in a temp folder, importing the tiny suites. */
function writeConfig(body: string, ext = 'ts'): string {
  const file = join(tmp(), `bench.config.${ext}`)
  writeFileSync(file, body.replaceAll('FIXTURE', JSON.stringify(fixtureSuite)))
  return file
}

describe('converge-bench CLI', () => {
  it('prints help and exits 0', async () => {
    expect(await main(['--help'])).toBe(0)
    expect(logs.join('\n')).toMatch(/--max-steps <n>/)
    expect(logs.join('\n')).toMatch(/--fresh/)
  })
  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--seed', '3'], /Unknown option '--seed'.* \(did you mean --seeds\?\)/],
    [['--max-step', '3'], /\(did you mean --max-steps\?\)/],
    [['--seeds', '0', '--config', config], /--seeds: got "0"; expected a positive integer/],
    [['--jobs', 'two', '--config', config], /--jobs: got "two"/],
    [['--backend', 'tpu', '--config', config], /--backend: got "tpu"; expected one of auto, tensorflow, wasm, cpu, webgpu/],
    [['--quick', '--full', '--config', config], /--quick and --full exclude each other/],
    [['--config', 'no-such-file.ts'], /--config: .*no-such-file.ts does not exist/],
    [['--config', import.meta.dirname], /--config: .* is a folder; pass the config file/],
    [['--out', tinyConfig, '--config', config], /--out: .*tiny.config.ts is a file; pass a folder/],
    [['--suite', 'nope', '--config', config], /--suite: no suite named "nope"/],
    [['--suite', ',', '--config', config], /--suite: got an empty list/],
    [['--arms', ' , ', '--config', config], /--arms: got an empty list/],
    [['--arms', 'nope', '--config', config], /--arms: no arm named "nope"/],
  ])('exits 2 on usage errors: %s', async (args, pattern) => {
    expect(await main(args as string[])).toBe(2)
    expect(errors.join('\n')).toMatch(pattern)
  })
  it('exits 2 when there is no config', async () => {
    const dir = tmp()
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      expect(await main([])).toBe(2)
    } finally {
      process.chdir(cwd)
    }
    expect(errors.join('\n')).toMatch(/no bench config found/)
  })

  describe('config problems exit 2 naming the config file, before any run', () => {
    const suiteWith = (patch: string) => `import { tinySuite } from FIXTURE\nexport default { suites: [{ ...tinySuite, ${patch} }] }\n`
    it.each([
      ['a baseline that is not an arm', suiteWith(`baseline: 'x'`), /baseline "x" is not one of its arms \(adam, slow-sgd\)/],
      ['no arms', suiteWith('arms: []'), /suite "tiny": has no arms/],
      ['bad sizes', suiteWith(`sizes: { quick: { seeds: 0, maxSteps: 10, evalEvery: 5 }, full: tinySuite.sizes.full }`), /sizes\.quick\.seeds must be a positive integer/],
      ['a size naming an unknown arm', suiteWith(`sizes: { quick: { ...tinySuite.sizes.quick, arms: ['nope'] }, full: tinySuite.sizes.full }`), /sizes\.quick\.arms names no arm "nope" \(arms: adam, slow-sgd\)/],
      ['a bad target', suiteWith(`target: { kind: 'fromBaseline', margin: 2 }`), /target\.margin must be a number in \[0, 1\)/],
      ['stopAtTarget with a target from the baseline', suiteWith(`sizes: { quick: { ...tinySuite.sizes.quick, stopAtTarget: true }, full: tinySuite.sizes.full }`), /sizes\.quick\.stopAtTarget needs target \{ kind: 'explicit' \}/],
      ['a config that throws', `throw new Error('boom at load')\n`, /the config failed to load: boom at load/],
      ['a syntax error', `export default { suites: [ \n`, /the config failed to load/],
      ['a missing import', `import { nope } from './no-such-module.js'\nexport default { suites: [nope] }\n`, /the config failed to load/],
    ])('%s', async (_what, body, pattern) => {
      const file = writeConfig(body)
      const out = join(tmp(), 'out')
      expect(await main(['--config', file, '--out', out])).toBe(2)
      const text = errors.join('\n')
      expect(text).toContain(file)
      expect(text).toMatch(pattern)
      expect(text).not.toMatch(/\n\s+at /) // no stack
      expect(existsSync(out)).toBe(false)
    })
    it('a config whose suites are all opt-in, run without --suite', async () => {
      const file = writeConfig(`import { tinySuite } from FIXTURE\nexport default { suites: [{ ...tinySuite, optIn: true }] }\n`)
      const out = join(tmp(), 'out')
      expect(await main(['--config', file, '--out', out])).toBe(2)
      expect(errors.join('\n')).toContain(`every suite in ${file} is opt-in (tiny); name the ones to run with --suite`)
      expect(existsSync(out)).toBe(false)
    })
    it('a bad trick or task option (the arm fails to build)', async () => {
      const file = writeConfig(
        `import { tinySuite } from FIXTURE\n` +
          `export default { suites: [{ ...tinySuite, arms: [...tinySuite.arms, { name: 'bad', tricks: () => { throw new RangeError('myTrick: option "rho" must be in (0, 1]; got 3') } }] }] }\n`,
      )
      const out = join(tmp(), 'out')
      expect(await main(['--config', file, '--out', out, '--backend', 'cpu'])).toBe(2)
      expect(errors.join('\n')).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: suite "tiny", arm "bad": building the arm failed: myTrick: option "rho"`))
      expect(existsSync(out)).toBe(false)
    })
    it('an empty tuning grid', async () => {
      const file = writeConfig(`import { tinySuite } from FIXTURE\nexport default { suites: [{ ...tinySuite, arms: [{ name: 'adam', tricks: () => [], tune: { lr: [] } }] }] }\n`)
      expect(await main(['--config', file, '--out', join(tmp(), 'out')])).toBe(2)
      expect(errors.join('\n')).toMatch(/arm "adam": tune\.lr must be a non-empty list/)
    })
  })

  it('exits 2 naming file and line on a corrupt results line, and --drop-corrupt-lines moves it aside', async () => {
    const out = tmp()
    await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 1 })
    const path = join(out, 'tiny', 'results.jsonl')
    writeFileSync(path, `${readFileSync(path, 'utf8')}{oops\n`)
    expect(await main(['--config', tinyConfig, '--suite', 'tiny', '--arms', 'adam', '--seeds', '1', '--backend', 'cpu', '--out', out])).toBe(2)
    expect(errors.join('\n')).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 2 is not valid JSON records\\. Rerun with --drop-corrupt-lines`))
    expect(existsSync(join(out, '.bench.lock'))).toBe(false) // released
  })

  it('refuses an output folder another bench holds (exit 2), and takes over a stale lock', async () => {
    const out = tmp()
    writeFileSync(join(out, '.bench.lock'), `${process.pid}\n`) // a live process holds it
    expect(await main(['--config', tinyConfig, '--suite', 'tiny', '--out', out])).toBe(2)
    expect(errors.join('\n')).toMatch(new RegExp(`in use by another bench \\(pid ${process.pid}\\)`))
    const { lockOutput } = await import('../src/lock.js')
    writeFileSync(join(out, '.bench.lock'), '999999999\n') // no such process
    const release = lockOutput(out)
    expect(readFileSync(join(out, '.bench.lock'), 'utf8').trim()).toBe(String(process.pid))
    release()
    expect(existsSync(join(out, '.bench.lock'))).toBe(false)
  })

  it('lists suites and arms', async () => {
    expect(await main(['--list', '--config', config])).toBe(0)
    expect(logs.join('\n')).toMatch(/optimizer-sanity: .*\n.*quick: 5 seeds[\s\S]*- adam \(baseline\)/)
  })
})

