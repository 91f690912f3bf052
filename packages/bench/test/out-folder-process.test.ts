import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const cli = join(import.meta.dirname, '..', 'src', 'cli.ts')
const tinyConfig = join(import.meta.dirname, 'fixtures', 'tiny.config.ts')

// node's mkdirSync(recursive) spins forever under /proc and blocks the event loop: only a time
// limit on another process can catch that.
describe('an --out folder that cannot be made', () => {
  it.each([
    ['/proc/converge-nosuch/out', /--out: cannot use \/proc\/converge-nosuch\/out as a folder: \/proc does not allow new folders/],
    ['/sys/converge-nosuch', /--out: cannot use \/sys\/converge-nosuch as a folder: creating \/sys\/converge-nosuch: EPERM/],
  ])('%s: exit 2 with a clear error within seconds, not a spin', (out, pattern) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, '--config', tinyConfig, '--suite', 'tiny', '--backend', 'cpu', '--out', out], { encoding: 'utf8', timeout: 60_000 })
    expect(r.signal, `timed out (spinning?):\n${r.stderr}`).toBeNull()
    expect(r.status, r.stderr).toBe(2)
    expect(r.stderr).toMatch(pattern)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  }, 90_000)
})
