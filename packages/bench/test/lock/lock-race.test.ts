import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { lockOutput } from '../../src/lock.js'

const contender = join(import.meta.dirname, '..', 'fixtures', 'lock-contender.ts')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A pid no process has (pids stay below 2^22 on Linux). */
const DEAD_PID = 4_194_999

/**
 * `contenders` processes try to take the lock of the same folder in the same millisecond, once per
 * trial; every other trial starts with a stale lock (a dead pid) in place. Returns the holders per trial.
 * Run more trials with LOCK_TRIALS=100 (scripts: see docs/bench.md, "Output lock").
 */
async function race(contenders: number, trials: number, spacingMs: number): Promise<{ holders: number[]; output: string }> {
  const root = mkdtempSync(join(tmpdir(), 'converge-lock-race-'))
  dirs.push(root)
  for (let k = 0; k < trials; k += 2) {
    mkdirSync(join(root, `t${k}`))
    writeFileSync(join(root, `t${k}`, '.bench.lock'), `${DEAD_PID}\n`)
  }
  const procs = Array.from({ length: contenders }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', contender, root], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    return { child, out: () => out, exited }
  })
  await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
    const check = () => (p.out().includes('ready') ? resolve() : setTimeout(check, 20))
    check()
  })))
  const start = Date.now() + 200
  for (const p of procs) p.child.stdin.write(`${start} ${trials} ${spacingMs}\n`)
  await Promise.all(procs.map((p) => p.exited))
  const output = procs.map((p, i) => `--- contender ${i}\n${p.out()}`).join('\n')
  const holders = Array.from({ length: trials }, () => 0)
  for (const m of output.matchAll(/^held (\d+)/gm)) holders[Number(m[1])]!++
  return { holders, output }
}

describe('the output lock', () => {
  it('has exactly one holder when several benches take it in the same millisecond, with or without a stale lock', async () => {
    const trials = Number(process.env.LOCK_TRIALS ?? 40)
    const { holders, output } = await race(6, trials, 40)
    expect(output, output).not.toMatch(/^error/m)
    expect(holders.filter((h) => h !== 1), output).toEqual([])
  }, 120_000)

  it('a lock file is never seen empty: it holds the pid the moment it exists', () => {
    const out = mkdtempSync(join(tmpdir(), 'converge-lock-'))
    dirs.push(out)
    const release = lockOutput(out)
    expect(readFileSync(join(out, '.bench.lock'), 'utf8')).toBe(`${process.pid}\n`)
    release()
  })
})
