import type { BenchEvent } from './runner.js'
import { fmtMs, fmtTuning } from './format.js'
import { fmtHyperparams } from './job.js'

const fmtDuration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return '--:--'
  const s = Math.round(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

/**
 * Shows bench progress: on a terminal, one live line (runs done, each running run's step, ETA);
 * otherwise one plain line per finished run, for logs and CI.
 */
export class ProgressReporter {
  private suite = ''
  private phase = ''
  private target = ''
  private total = 0
  private done = 0
  private maxSteps = 0
  private started = 0
  private stepsDone = 0
  private stepsPlanned = 0
  private readonly running = new Map<string, { label: string; step: number }>()
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly live = Boolean(out.isTTY)) {}

  onEvent = (e: BenchEvent): void => {
    const key = (j: { kind: string; arm: string; seed: number; hp: object }) => `${j.kind}:${j.arm}#${j.seed}:${JSON.stringify(j.hp)}`
    switch (e.type) {
      case 'suite-start':
        this.suite = e.suite
        this.phase = e.phase
        this.target = e.target
        if (e.total > e.done) this.print(`${e.suite}: ${e.phase === 'tuning' ? 'tuning' : 'reported runs'}, ${e.total - e.done} to run; suite target ${e.target}`)
        this.total = e.total
        this.done = e.done
        this.maxSteps = e.maxSteps
        this.started = Date.now()
        this.stepsDone = 0
        this.stepsPlanned = (e.total - e.done) * e.maxSteps
        if (e.done) this.print(`${e.suite}: ${e.done} of ${e.total} ${e.phase === 'tuning' ? 'tuning ' : ''}runs already in the results (same settings and code), reusing them`)
        if (this.live && !this.timer) {
          this.timer = setInterval(() => this.render(), 250)
          this.timer.unref()
        }
        break
      case 'stale':
        this.print(`${e.suite}: ${e.count} cached run${e.count === 1 ? ' was' : 's were'} made with other source code (packages/ or the config changed since): rerunning`)
        break
      case 'tuned':
        this.print(`${e.suite}: tuned ${e.tuning.arm}: ${fmtTuning(e.tuning)}`)
        break
      case 'pairs':
        this.print(`${e.suite}: pairs: auto: ${e.choice.reason}`)
        break
      case 'run-start':
        this.running.set(key(e.job), { label: `${e.job.kind === 'tune' ? `tune ${e.job.arm}[${fmtHyperparams(e.job.hp)}]` : e.job.arm}/s${e.job.seed}`, step: 0 })
        break
      case 'run-progress': {
        const r = this.running.get(key(e.job))
        if (r) r.step = e.step
        break
      }
      case 'run-done': {
        this.running.delete(key(e.job))
        this.done++
        this.stepsDone += e.job.maxSteps
        const r = e.record.result
        const reached = r.diverged
          ? `diverged at step ${r.diverged.step}`
          : e.targetStep === undefined
            ? `(suite target set after the baseline's runs)`
            : `suite target ${e.targetStep === null ? `not reached in ${e.job.maxSteps}` : `reached at step ${e.targetStep}`}`
        const what = e.job.kind === 'tune' ? `tune ${e.job.arm} [${fmtHyperparams(e.job.hp)}]` : e.job.arm
        if (!this.live) this.print(`${this.suite}: ${this.done}/${this.total} ${what} seed ${e.job.seed}: ${reached}, ${fmtMs(r.trainMs)} training; ETA ${fmtDuration(this.eta())}`)
        break
      }
      case 'run-failed':
        this.running.delete(key(e.job))
        this.stepsDone += e.job.maxSteps
        this.print(`${this.suite}: run ${e.job.arm} seed ${e.job.seed} FAILED: ${e.error.message.split('\n')[0]}`)
        break
      case 'suite-done':
        this.clear()
        break
    }
  }

  private eta(): number {
    const inFlight = [...this.running.values()].reduce((s, r) => s + r.step, 0)
    const progressed = this.stepsDone + inFlight
    if (progressed === 0) return Number.NaN
    return ((Date.now() - this.started) / progressed) * (this.stepsPlanned - progressed)
  }

  private render(): void {
    const runs = [...this.running.values()].map((r) => `${r.label} ${r.step}/${this.maxSteps}`).join(', ')
    const line = `${this.suite}${this.phase === 'tuning' ? ' tuning' : ''} [target ${this.target}]: ${this.done}/${this.total} runs${runs ? ` | ${runs}` : ''} | ${fmtDuration(Date.now() - this.started)} elapsed, ETA ${fmtDuration(this.eta())}`
    this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 120) - 1)}`)
  }

  private clear(): void {
    if (this.live) this.out.write('\r\x1b[2K')
  }

  print(line: string): void {
    this.clear()
    this.out.write(`${line}\n`)
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.clear()
  }
}

