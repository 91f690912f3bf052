import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The workspace's trick registry is converge-bench.config.ts: every trick package registers its
 * suites there, runs the contract kit in test/contract.test.ts, and has a method card with the
 * fixed headings. Like a registry test for algorithm settings, this fails for a trick that was
 * added without its contract suite, its bench suite or its card.
 */
const REPO = resolve(import.meta.dirname, '../..')
const TRICKS = join(REPO, 'packages/tricks')
const CARD_HEADINGS = ['What it does', 'When to use it', 'Options', 'Measured results', 'Differences from the paper', 'Pitfalls']

const read = (path: string) => readFileSync(path, 'utf8')
const trickPackages = readdirSync(TRICKS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(TRICKS, d.name, 'package.json')))
  .map((d) => ({ dir: join(TRICKS, d.name), name: (JSON.parse(read(join(TRICKS, d.name, 'package.json'))) as { name: string }).name }))

/** Packages whose `./bench` subpath the bench config imports. */
const registered = [...read(join(REPO, 'converge-bench.config.ts')).matchAll(/from\s+['"](@converge\/[^'"/]+)\/bench['"]/g)].map((m) => m[1]!)
const rootDependencies = Object.keys((JSON.parse(read(join(REPO, 'package.json'))) as { dependencies: Record<string, string> }).dependencies)

describe('trick registry', () => {
  it('finds the trick packages and the suites the bench config registers', () => {
    expect(trickPackages.length).toBeGreaterThanOrEqual(3)
    expect(registered.length).toBeGreaterThanOrEqual(3)
  })

  it('registers only trick packages of this workspace', () => {
    const names = trickPackages.map((p) => p.name)
    expect(registered.filter((r) => !names.includes(r))).toEqual([])
  })

  describe.each(trickPackages)('$name', ({ dir, name }) => {
    it('registers its bench suite in converge-bench.config.ts and is a root dependency', () => {
      expect(registered, `converge-bench.config.ts imports nothing from ${name}/bench`).toContain(name)
      expect(rootDependencies, `package.json does not depend on ${name}`).toContain(name)
    })

    it('runs the contract kit in test/contract.test.ts', () => {
      const file = join(dir, 'test/contract.test.ts')
      expect(existsSync(file), `${file} is missing`).toBe(true)
      const text = read(file)
      expect(text).toMatch(/import\s*\{[^}]*\btrickContractSuite\b[^}]*\}\s*from\s*['"]@converge\/core\/testing['"]/)
      expect(text).toMatch(/^trickContractSuite\(/m)
    })

    it('has a method card with the fixed headings, in order', () => {
      const prose = read(join(dir, 'README.md')).replace(/^```[\s\S]*?^```/gm, '') // a `## ` line in a code block is no heading
      const headings = [...prose.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim())
      expect(headings).toEqual(CARD_HEADINGS)
    })
  })
})
