import type { Logger } from 'pino'

/** Progress lines at info level: one every `every` steps and at the last step, with ms/step and an ETA. */
export class Progress {
  /** The step of the last progress line (kept in checkpoints so a resumed run keeps the cadence). */
  lastAt = 0

  constructor(
    private readonly log: Logger,
    private readonly every: number,
    private readonly maxSteps: number,
  ) {}

  step(step: number, phase: string, loss: number, lr: number, trainMs: number): void {
    if (step - this.lastAt < this.every && step !== this.maxSteps) return
    this.lastAt = step
    const msPerStep = trainMs / Math.max(1, step)
    this.log.info(
      { ...(phase === 'main' ? {} : { phase }), loss, lr, msPerStep, etaS: Math.round(((this.maxSteps - step) * msPerStep) / 1000) },
      `step ${step}/${this.maxSteps}`,
    )
  }
}
