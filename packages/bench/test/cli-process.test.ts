import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'converge-bench-proc-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const tinyConfig = join(import.meta.dirname, 'fixtures', 'tiny.config.ts')

// The CLI as a user runs it: its own process, worker processes, signals.
describe('converge-bench as a process', () => {
  const cli = join(import.meta.dirname, '..', 'src', 'cli.ts')
  const start = (args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    return { child, exited, stderr: () => stderr }
  }

  it('Ctrl-C stops within moments, records nothing unfinished, releases the lock and says how to resume', async () => {
    const out = join(tmp(), 'out')
    const p = start(['--config', tinyConfig, '--suite', 'tiny', '--backend', 'cpu', '--jobs', '1', '--max-steps', '1000000', '--out', out])
    await vi.waitFor(() => expect(p.stderr()).toMatch(/suite\(s\) at quick size/), { timeout: 20_000, interval: 50 })
    const sent = Date.now()
    p.child.kill('SIGINT')
    expect(await p.exited).toBe(130)
    expect(Date.now() - sent).toBeLessThan(3000) // a run of a million steps would take hours
    expect(p.stderr()).toMatch(/interrupted\. Completed runs are saved under .*; rerun the same command to resume/)
    expect(existsSync(join(out, 'tiny', 'results.jsonl'))).toBe(false)
    expect(existsSync(join(out, '.bench.lock'))).toBe(false)
  }, 30_000)

  it('a backend that cannot start stops the bench at the first run with exit 2', async () => {
    const out = join(tmp(), 'out')
    mkdirSync(out)
    const p = start(['--config', tinyConfig, '--suite', 'tiny', '--backend', 'tensorflow', '--jobs', '2', '--out', out])
    expect(await p.exited).toBe(2)
    expect(p.stderr()).toMatch(/backend 'tensorflow' cannot start[\s\S]*Stopped at the first run/)
    expect(p.stderr()).not.toMatch(/FAILED/)
    expect(existsSync(join(out, 'tiny', 'results.jsonl'))).toBe(false)
  }, 30_000)
})
