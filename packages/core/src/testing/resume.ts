import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { BackendName } from '../backends/use-backend.js'
import { train } from '../loop/train.js'
import type { RunResult } from '../result.js'
import type { TrainOptions } from '../train-options.js'

/**
 * Exact-resume checks with a real process kill: a child trains with checkpoints and is killed with
 * SIGKILL at a chosen step (it parks itself there, so the kill lands exactly between two steps,
 * wherever the last checkpoint was); a second child resumes; its result must equal an
 * uninterrupted run's bit for bit. The child side is `resumeChild`, the parent side
 * `killAndResume`.
 */

/** A scenario's train options (without checkpoint, resume and onStep), by name and backend. */
export type ResumeScenarios = (name: string, backend: BackendName) => TrainOptions | Promise<TrainOptions>

/** Everything a resumed run must reproduce: losses (and every term), evaluations, steps-to-target, phases. */
export function resultFingerprint(r: RunResult): string {
  const exact = (_k: string, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `num:${String(Object.is(v, -0) ? '-0' : v)}` : v)
  return JSON.stringify(
    {
      steps: r.steps,
      stepsToTarget: r.stepsToTarget,
      stopReason: r.stopReason,
      losses: r.losses,
      lossTerms: r.lossTerms,
      history: r.history.map((h) => ({ step: h.step, metrics: h.metrics })),
      phases: r.phases,
    },
    exact,
  )
}

interface ChildArgs {
  scenario: string
  backend: BackendName
  dir: string
  everySteps: number
  killAt: number
  resume: boolean
  out: string
}

/**
 * The child's side: reads `<scenario> <backend> <dir> <everySteps> <killAt> <resume 0|1> <out>`
 * from argv, trains with checkpoints, parks at step `killAt` (printing `parked <step>`) until
 * killed, and writes `resultFingerprint` (and where it resumed from) to `out` when it finishes.
 */
export async function resumeChild(scenarios: ResumeScenarios): Promise<void> {
  const [scenario, backend, dir, everySteps, killAt, resume, out] = process.argv.slice(2)
  const a: ChildArgs = { scenario: scenario!, backend: backend as BackendName, dir: dir!, everySteps: Number(everySteps), killAt: Number(killAt), resume: resume === '1', out: out! }
  const options = await scenarios(a.scenario, a.backend)
  const result = await train({
    ...options,
    checkpoint: { dir: a.dir, everySteps: a.everySteps },
    resume: a.resume,
    onStep: (report) => {
      if (report.step !== a.killAt) return
      process.stdout.write(`parked ${report.step}\n`)
      // Block this thread until the parent's SIGKILL arrives: no more steps, no more writes.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000)
      process.exit(3) // never reached unless the parent failed to kill us
    },
  })
  fs.writeFileSync(a.out, JSON.stringify({ fingerprint: resultFingerprint(result), resumedFrom: result.resumedFrom ?? null }))
}

export interface KillAndResumeOptions {
  /** A script that calls `resumeChild` (run with `node --import tsx`). */
  readonly script: string
  readonly scenario: string
  readonly backend: BackendName
  /** The step at which the first child is killed. */
  readonly killAt: number
  readonly everySteps: number
  readonly timeoutMs?: number
}

export interface KillAndResumeResult {
  /** The resumed run's fingerprint. */
  readonly fingerprint: string
  /** The checkpoint step the second child resumed from. */
  readonly resumedFromStep: number | null
  /** How the first child ended (must be SIGKILL). */
  readonly killSignal: NodeJS.Signals | null
}

function runChild(script: string, args: readonly string[], timeoutMs: number, onParked?: (kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: path.dirname(script), stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let stdout = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child ${path.basename(script)} ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`))
    }, timeoutMs)
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (onParked && /parked \d+/.test(stdout)) {
        const kill = onParked
        onParked = undefined
        kill(() => child.kill('SIGKILL'))
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stderr })
    })
  })
}

/** Runs the scenario in a child, SIGKILLs it at `killAt`, resumes it in a second child, and returns the resumed result. */
export async function killAndResume(o: KillAndResumeOptions): Promise<KillAndResumeResult> {
  const timeoutMs = o.timeoutMs ?? 60_000
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-resume-'))
  const dir = path.join(work, 'checkpoints')
  const out = path.join(work, 'result.json')
  try {
    const args = (killAt: number, resume: boolean) => [o.scenario, o.backend, dir, String(o.everySteps), String(killAt), resume ? '1' : '0', out]
    const first = await runChild(o.script, args(o.killAt, false), timeoutMs, (kill) => kill())
    if (first.signal !== 'SIGKILL') throw new Error(`the first child was to be killed at step ${o.killAt} but ended with code ${first.code}; stderr: ${first.stderr.slice(-2000)}`)
    const second = await runChild(o.script, args(0, true), timeoutMs)
    if (second.code !== 0) throw new Error(`the resumed child exited with code ${second.code} (signal ${second.signal}); stderr: ${second.stderr.slice(-2000)}`)
    const saved = JSON.parse(fs.readFileSync(out, 'utf8')) as { fingerprint: string; resumedFrom: { step: number } | null }
    return { fingerprint: saved.fingerprint, resumedFromStep: saved.resumedFrom?.step ?? null, killSignal: first.signal }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

/** The same scenario uninterrupted, in this process: the reference a resumed run must equal. */
export async function uninterrupted(scenarios: ResumeScenarios, scenario: string, backend: BackendName): Promise<string> {
  return resultFingerprint(await train(await scenarios(scenario, backend)))
}
