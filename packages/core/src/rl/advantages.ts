import { z } from 'zod'
import { parseOptions } from '../parse-options.js'

/**
 * How group-relative advantages are scaled. Every mode first subtracts the group's mean reward
 * (the group baseline); they differ in what the centred reward is divided by:
 * - `group-std`: the group's own Bessel standard deviation plus `eps` (GRPO's z-score, as verl's
 *   `compute_grpo_outcome_advantage`). Invariant to any positive affine map of the rewards.
 * - `group-mean`: nothing (mean-only, Dr.GRPO style); keeps the reward scale.
 * - `fixed`: a constant `scale`.
 * - `ema-std`: an exponential moving average of the group standard deviation across batches
 *   (see `EmaScale`): keeps the reward scale within a batch, calibrates it over time.
 */
export const ADVANTAGE_NORMALIZATIONS = ['group-std', 'group-mean', 'fixed', 'ema-std'] as const
export type AdvantageNormalization = (typeof ADVANTAGE_NORMALIZATIONS)[number]

export const advantageOptionsSchema = z
  .object({
    normalize: z.enum(ADVANTAGE_NORMALIZATIONS).default('group-std'),
    /** Added to the divisor (`group-std`, `ema-std`); verl uses 1e-6. */
    eps: z.number().min(0).default(1e-6),
    /** The divisor of `fixed`. */
    scale: z.number().positive().default(1),
    /** `ema-std`: weight of the previous average (bias-corrected, as Adam's moments). */
    emaDecay: z.number().min(0).lt(1).default(0.99),
    /** `ema-std`: the divisor before any group with spread has been seen. */
    emaInitial: z.number().positive().default(1),
  })
  .strict()

export type AdvantageOptions = z.input<typeof advantageOptionsSchema>
export type ResolvedAdvantageOptions = z.output<typeof advantageOptionsSchema>

function checkLayout(rewards: ArrayLike<number>, groupSize: number): number {
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new RangeError(`groupSize must be a positive integer, got ${groupSize}`)
  if (rewards.length % groupSize !== 0) {
    throw new RangeError(`rewards.length ${rewards.length} is not a multiple of groupSize ${groupSize}`)
  }
  return rewards.length / groupSize
}

/** Mean reward of each group (responses laid out prompt-major, `groupSize` per prompt). */
export function groupMeans(rewards: ArrayLike<number>, groupSize: number): Float64Array {
  const groups = checkLayout(rewards, groupSize)
  const out = new Float64Array(groups)
  for (let g = 0; g < groups; g++) {
    let s = 0
    for (let i = g * groupSize; i < (g + 1) * groupSize; i++) s += rewards[i] as number
    out[g] = s / groupSize
  }
  return out
}

/** Bessel (n − 1) standard deviation of each group; 0 for a group of one (no spread is observable). */
export function groupStds(rewards: ArrayLike<number>, groupSize: number): Float64Array {
  const means = groupMeans(rewards, groupSize)
  const out = new Float64Array(means.length)
  if (groupSize < 2) return out
  for (let g = 0; g < means.length; g++) {
    const m = means[g] as number
    let ss = 0
    for (let i = g * groupSize; i < (g + 1) * groupSize; i++) ss += ((rewards[i] as number) - m) ** 2
    out[g] = Math.sqrt(ss / (groupSize - 1))
  }
  return out
}

/**
 * Group-centred rewards divided by a divisor per group: `(r_i − mean_g) / divisor(g)`.
 * A group of one has no baseline but itself, so its advantage is 0 (verl instead leaves the raw
 * reward there; a lone response carries no relative signal, so we give it none).
 */
function centredOver(rewards: ArrayLike<number>, groupSize: number, divisor: (g: number) => number): Float32Array {
  const means = groupMeans(rewards, groupSize)
  const out = new Float32Array(rewards.length)
  if (groupSize < 2) return out
  for (let g = 0; g < means.length; g++) {
    const m = means[g] as number
    const d = divisor(g)
    for (let i = g * groupSize; i < (g + 1) * groupSize; i++) out[i] = ((rewards[i] as number) - m) / d
  }
  return out
}

/** GRPO's z-score: `(r − mean_g) / (std_g + eps)` with Bessel std. All-equal groups give exactly 0. */
export function groupZScores(rewards: ArrayLike<number>, groupSize: number, eps = 1e-6): Float32Array {
  const stds = groupStds(rewards, groupSize)
  return centredOver(rewards, groupSize, (g) => (stds[g] as number) + eps)
}

/** Mean-only advantages `(r − mean_g) / scale` (Dr.GRPO when scale = 1). */
export function groupCentred(rewards: ArrayLike<number>, groupSize: number, scale = 1): Float32Array {
  if (!(scale > 0)) throw new RangeError(`scale must be positive, got ${scale}`)
  return centredOver(rewards, groupSize, () => scale)
}

/**
 * An exponential moving average of the group reward standard deviation, bias-corrected like
 * Adam's moments: after t observations `value = m_t / (1 − decay^t)`. Each batch contributes the
 * mean Bessel std of its groups that have any spread (all-equal groups get advantage 0 whatever
 * the divisor, so they say nothing about the scale); a batch without such groups leaves it as is.
 */
export class EmaScale {
  private m = 0
  private t = 0

  constructor(
    readonly decay = 0.99,
    readonly initial = 1,
  ) {
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`decay must be in [0, 1), got ${decay}`)
    if (!(initial > 0)) throw new RangeError(`initial must be positive, got ${initial}`)
  }

  /** The current divisor: `initial` before any observation. */
  get value(): number {
    return this.t === 0 ? this.initial : this.m / (1 - this.decay ** this.t)
  }

  /** Observations folded in so far. */
  get count(): number {
    return this.t
  }

  /** Folds in one batch's mean std over groups with spread; returns whether the batch had any. */
  observe(rewards: ArrayLike<number>, groupSize: number): boolean {
    const stds = groupStds(rewards, groupSize)
    let sum = 0
    let n = 0
    for (const s of stds) {
      if (s > 0) {
        sum += s
        n++
      }
    }
    if (n === 0) return false
    this.observeValue(sum / n)
    return true
  }

  /** Folds in one value directly. */
  observeValue(x: number): void {
    if (!Number.isFinite(x) || x < 0) throw new RangeError(`EmaScale.observeValue: expected a finite non-negative number, got ${x}`)
    this.m = this.decay * this.m + (1 - this.decay) * x
    this.t++
  }

  state(): { m: number; t: number } {
    return { m: this.m, t: this.t }
  }

  loadState(s: { m: number; t: number }): void {
    this.m = Number(s.m)
    this.t = Number(s.t)
  }
}

/** Advantages for one batch of rewards; stateful only for `ema-std`. */
export interface AdvantageEstimator {
  readonly options: ResolvedAdvantageOptions
  /** Per-response advantages; `ema-std` folds this batch into its average first. */
  compute(rewards: ArrayLike<number>, groupSize: number): Float32Array
  /** The divisor `ema-std` would use now (NaN for the other modes). */
  readonly emaScale: number
  state(): Record<string, unknown>
  loadState(state: Record<string, unknown>): void
}

/** Makes an advantage estimator for the chosen normalisation (see `ADVANTAGE_NORMALIZATIONS`). */
export function createAdvantageEstimator(options: AdvantageOptions = {}): AdvantageEstimator {
  const o = parseOptions(advantageOptionsSchema, options, 'advantage options')
  const ema = new EmaScale(o.emaDecay, o.emaInitial)
  return {
    options: o,
    compute(rewards, groupSize) {
      switch (o.normalize) {
        case 'group-std':
          return groupZScores(rewards, groupSize, o.eps)
        case 'group-mean':
          return groupCentred(rewards, groupSize, 1)
        case 'fixed':
          return groupCentred(rewards, groupSize, o.scale)
        case 'ema-std':
          ema.observe(rewards, groupSize)
          return groupCentred(rewards, groupSize, ema.value + o.eps)
      }
    },
    get emaScale() {
      return o.normalize === 'ema-std' ? ema.value : Number.NaN
    },
    state: () => ({ ema: ema.state() }),
    loadState(s) {
      const e = s.ema as { m: number; t: number } | undefined
      if (e) ema.loadState(e)
    },
  }
}
