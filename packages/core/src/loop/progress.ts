import type { Logger } from 'pino'
import type { Metrics } from '../task.js'

/**
 * Progress lines at info level: one every `every` steps and at the last step, with ms/step, an
 * ETA and the latest evaluation's metrics (`eval.<name>`, with `evalStep`). A line due at a step
 * that is evaluated waits for that evaluation, so it shows the metrics of its own step.
 */
export class Progress {
  /** The step of the last progress line (kept in checkpoints so a resumed run keeps the cadence). */
  lastAt = 0
  private metrics: { step: number; values: Metrics } | null = null
  private pending: { step: number; fields: Record<string, unknown> } | null = null

  constructor(
    private readonly log: Logger,
    private readonly every: number,
    private readonly maxSteps: number,
    /** Whether the loop evaluates right after this step (then the line waits for the metrics). */
    private readonly evaluatesAfter: (step: number, phase: string) => boolean,
  ) {}

  step(step: number, phase: string, loss: number, lr: number, trainMs: number): void {
    if (step - this.lastAt < this.every && step !== this.maxSteps) return
    this.lastAt = step
    const msPerStep = trainMs / Math.max(1, step)
    const fields = { ...(phase === 'main' ? {} : { phase }), loss, lr, msPerStep, etaS: Math.round(((this.maxSteps - step) * msPerStep) / 1000) }
    this.pending = { step, fields }
    if (!this.evaluatesAfter(step, phase)) this.flush()
  }

  /** An evaluation's metrics: shown on this and later lines. */
  evaluated(step: number, metrics: Metrics): void {
    this.metrics = { step, values: metrics }
    this.flush()
  }

  /** Prints a line that waited for an evaluation (also when none came: the run stopped). */
  flush(): void {
    const p = this.pending
    if (!p) return
    this.pending = null
    const m = this.metrics
    const evalFields = m ? { evalStep: m.step, ...Object.fromEntries(Object.entries(m.values).map(([k, v]) => [`eval.${k}`, v])) } : {}
    this.log.info({ ...p.fields, ...evalFields }, `step ${p.step}/${this.maxSteps}`)
  }
}
