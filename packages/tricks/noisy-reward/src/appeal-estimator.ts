import { z } from 'zod'
import { parseOptions, type Rng } from '@converge/core'

export const appealEstimatorOptionsSchema = z
  .object({
    /** Probability π that an observed negative is appealed (re-checked by the second verifier). */
    rate: z.number().gt(0).max(1).default(0.25),
    /** Weight of the previous estimate in the EMA over steps (the rate drifts as the policy changes). */
    emaDecay: z.number().min(0).lt(1).default(0.9),
    /** Estimates are clipped to [0, maxRate]; the corrections need ρ1 < 0.5. */
    maxRate: z.number().gt(0).lt(0.5).default(0.45),
    /** The appeal verifier's own true-positive rate, if known (corrects its overturn counts). */
    appealTpr: z.number().gt(0).max(1).default(1),
    /** The appeal verifier's own false-positive rate, if known. */
    appealFpr: z.number().min(0).lt(1).default(0),
    /** Value before the first step with any positives or appeals. */
    initial: z.number().min(0).lt(0.5).default(0),
  })
  .strict()
  .refine((o) => o.appealTpr > o.appealFpr, { message: 'appealTpr must exceed appealFpr', path: ['appealTpr'] })

export type AppealEstimatorOptions = z.input<typeof appealEstimatorOptionsSchema>

/** One step's appeal outcome, for the estimate and for reporting. */
export interface AppealStep {
  /** Indices of the responses that were appealed. */
  readonly appealed: readonly number[]
  /** The appeal verifier's verdicts for them (1 = it judges the response correct: overturned). */
  readonly verdicts: Float32Array
  /** This step's Horvitz–Thompson estimate of ρ1, or null when it carried no information. */
  readonly stepEstimate: number | null
}

/**
 * Online estimate of the verifier's false-negative rate ρ1 from appeals. Each observed negative is
 * appealed with probability π; the overturned ones are the rule verifier's false negatives (up to the
 * appeal verifier's own error, corrected when its TPR/FPR are given). Horvitz–Thompson weighting
 * (1/π per appeal) estimates how many false negatives all the negatives hold, and
 * `ρ̂1 = FN / (observed positives + FN)`. This assumes the rule verifier has (almost) no false
 * positives: under false positives, observed positives overstate the clean ones and ρ̂1 comes out low.
 * Numerator and denominator are each smoothed by an EMA over steps (a ratio of sums, steadier than
 * averaging per-step ratios when a step holds few positives) and the ratio clipped to [0, maxRate].
 */
export class AppealEstimator {
  readonly options: z.output<typeof appealEstimatorOptionsSchema>
  private falseNegatives = 0
  private cleanPositives = 0
  private steps = 0
  private calls = 0

  constructor(options: AppealEstimatorOptions = {}) {
    this.options = parseOptions(appealEstimatorOptionsSchema, options, 'appeal estimator options')
  }

  /** The current estimate of ρ1. */
  get value(): number {
    const raw = this.cleanPositives > 0 ? this.falseNegatives / this.cleanPositives : this.options.initial
    return Math.min(this.options.maxRate, Math.max(0, raw))
  }

  /** Appeal calls made so far. */
  get appealCalls(): number {
    return this.calls
  }

  /** Chooses which observed negatives to appeal: each with probability π, from a seeded stream. */
  choose(observed: ArrayLike<number>, rng: Rng): number[] {
    const chosen: number[] = []
    for (let i = 0; i < observed.length; i++) if ((observed[i] as number) === 0 && rng.next() < this.options.rate) chosen.push(i)
    return chosen
  }

  /** Folds in one step: the observed rewards, the appealed indices and the appeal verdicts. */
  update(observed: ArrayLike<number>, appealed: readonly number[], verdicts: ArrayLike<number>): AppealStep {
    if (appealed.length !== verdicts.length) throw new RangeError('one verdict per appealed response is needed')
    const { rate, appealTpr, appealFpr } = this.options
    let positives = 0
    for (let i = 0; i < observed.length; i++) if ((observed[i] as number) === 1) positives++
    let overturned = 0
    for (let i = 0; i < verdicts.length; i++) overturned += verdicts[i] as number
    this.calls += appealed.length
    // The appeal judge's own errors: E[overturned] = TPR·FN_appealed + FPR·(appealed − FN_appealed).
    const trueOverturned = Math.max(0, (overturned - appealFpr * appealed.length) / (appealTpr - appealFpr))
    const falseNegatives = trueOverturned / rate // Horvitz–Thompson: each appeal stands for 1/π negatives
    const denom = positives + falseNegatives
    const stepEstimate = appealed.length > 0 && denom > 0 ? falseNegatives / denom : null
    if (appealed.length > 0 || positives > 0) {
      const d = this.options.emaDecay
      this.falseNegatives = d * this.falseNegatives + (1 - d) * falseNegatives
      this.cleanPositives = d * this.cleanPositives + (1 - d) * denom
      this.steps++
    }
    return { appealed, verdicts: Float32Array.from(verdicts), stepEstimate }
  }

  state(): { falseNegatives: number; cleanPositives: number; steps: number; calls: number } {
    return { falseNegatives: this.falseNegatives, cleanPositives: this.cleanPositives, steps: this.steps, calls: this.calls }
  }

  loadState(s: Record<string, unknown>): void {
    this.falseNegatives = Number(s.falseNegatives)
    this.cleanPositives = Number(s.cleanPositives)
    this.steps = Number(s.steps)
    this.calls = Number(s.calls)
  }
}
