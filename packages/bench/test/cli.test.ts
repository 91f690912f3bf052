import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../src/cli.js'

const errors: string[] = []
const logs: string[] = []
vi.spyOn(console, 'error').mockImplementation((...a) => void errors.push(a.join(' ')))
vi.spyOn(console, 'log').mockImplementation((...a) => void logs.push(a.join(' ')))
afterEach(() => {
  errors.length = 0
  logs.length = 0
})

const config = join(process.cwd(), 'converge-bench.config.ts')

describe('converge-bench CLI', () => {
  it('prints help and exits 0', async () => {
    expect(await main(['--help'])).toBe(0)
    expect(logs.join('\n')).toMatch(/--max-steps <n>/)
  })
  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--seeds', '0', '--config', config], /--seeds: got "0"; expected a positive integer/],
    [['--jobs', 'two', '--config', config], /--jobs: got "two"/],
    [['--backend', 'tpu', '--config', config], /--backend: got "tpu"; expected one of auto, tensorflow, wasm, cpu, webgpu/],
    [['--quick', '--full', '--config', config], /--quick and --full exclude each other/],
    [['--config', 'no-such-file.ts'], /--config: .*no-such-file.ts does not exist/],
    [['--suite', 'nope', '--config', config], /--suite: no suite named "nope"/],
    [['--arms', 'nope', '--config', config], /--arms: no arm named "nope"/],
  ])('exits 2 on usage errors: %s', async (args, pattern) => {
    expect(await main(args as string[])).toBe(2)
    expect(errors.join('\n')).toMatch(pattern)
  })
  it('exits 2 when there is no config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-'))
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      expect(await main([])).toBe(2)
    } finally {
      process.chdir(cwd)
    }
    expect(errors.join('\n')).toMatch(/no bench config found/)
  })
  it('rejects a config whose baseline is not an arm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-'))
    const bad = join(dir, 'bad.config.mjs')
    writeFileSync(bad, `export default { suites: [{ name: 's', baseline: 'x', arms: [{ name: 'y', tricks: () => [] }] }] }\n`)
    expect(await main(['--config', bad, '--list'])).toBe(2)
    expect(errors.join('\n')).toMatch(/baseline "x" is not one of its arms \(y\)/)
  })
  it('lists suites and arms', async () => {
    expect(await main(['--list', '--config', config])).toBe(0)
    expect(logs.join('\n')).toMatch(/optimizer-sanity: .*\n.*quick: 5 seeds[\s\S]*- adam-3e-3 \(baseline\)/)
  })
})
