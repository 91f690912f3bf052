import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// A run process whose bench is SIGKILLed mid-run: the IPC channel breaks under its next progress message.
describe('a run process whose parent dies', () => {
  it('exits quietly within seconds: no uncaught EPIPE, no stack, no orphan', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'pool-parent.ts')], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    parent.stdout.on('data', (d: Buffer) => (out += d.toString()))
    parent.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const deadline = Date.now() + 60_000
    while (!/running \d+/.test(out)) {
      if (Date.now() > deadline || parent.exitCode !== null) throw new Error(`the run never started:\n${out}`)
      await sleep(50)
    }
    const pids = (out.match(/running ([\d ]+)/)![1] as string).trim().split(' ').map(Number)
    expect(pids.length).toBeGreaterThan(0)
    const before = out.length
    parent.kill('SIGKILL')
    const gone = Date.now() + 15_000
    while (pids.some(alive) && Date.now() < gone) await sleep(100)
    const left = pids.filter(alive)
    for (const pid of left) process.kill(pid, 'SIGKILL') // never leave one behind
    await sleep(300) // whatever it wrote on its way out
    const after = out.slice(before)
    expect(left, `still running 15 s after its parent died; it wrote:\n${after}`).toEqual([])
    expect(after, 'the run process wrote on its way out').toBe('')
  }, 90_000)
})
