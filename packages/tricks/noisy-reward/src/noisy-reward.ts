import { ContractError, parseOptions, type Rng, type RolloutBatch, type Trick } from '@converge/core'
import { EmaScale, groupCentred, groupZScores } from '@converge/core/rl'
import { z } from 'zod'
import { AppealEstimator, appealEstimatorOptionsSchema } from './appeal-estimator.js'
import { backwardCorrect, forwardWeights } from './corrections.js'
import { checkRates } from './rates.js'

/**
 * How the corrected rewards become advantages. Every scale here is computed from the *observed*
 * rewards or fixed, never from the corrected ones: the corrections are, in expectation, an affine
 * map of the observed reward, and any normalisation by the corrected rewards' own spread (GRPO's
 * per-group z-score above all) divides that map out again.
 * - `fixed`: centred (backward, none) or raw (forward) values divided by `scale`.
 * - `ema-std`: divided by an EMA of the observed rewards' group standard deviation.
 * - `group-std`: GRPO's per-group z-score of the corrected values, offered to show that it makes
 *   every correction a no-op (identical advantages up to the 1e-6 epsilon).
 */
export const NOISY_REWARD_NORMALIZATIONS = ['fixed', 'ema-std', 'group-std'] as const

export const noisyRewardOptionsSchema = z
  .object({
    /**
     * `backward`: R̂ = (R̃ − ρ0)/(1 − ρ0 − ρ1), centred per group (needs both rates).
     * `forward`: weights ρ1 (observed 1) and ρ1 − 1 (observed 0), no group baseline (needs ρ1 only).
     * `none`: the observed reward, centred per group (the uncorrected arm, same pipeline).
     */
    correction: z.enum(['backward', 'forward', 'none']),
    /** False-positive rate P(observed 1 | clean 0); used by `backward`. */
    rho0: z.number().min(0).lt(0.5).default(0),
    /** False-negative rate P(observed 0 | clean 1), or `'appeals'` to estimate it online. */
    rho1: z.union([z.number().min(0).lt(0.5), z.literal('appeals')]).optional(),
    /**
     * `forward` only: divide the weights by (1 − ρ1). Under false-negative-only noise (ρ0 = 0) the
     * forward gradient is (1 − ρ1) times the clean one; this makes it the clean one in expectation.
     * The paper's weights are the unscaled ones (the default).
     */
    rescale: z.boolean().default(false),
    /** Appeal sampling and estimator settings (with `rho1: 'appeals'` or `flipOverturned`). */
    appeals: appealEstimatorOptionsSchema.optional(),
    /** Set an appealed negative's observed reward to 1 when the appeal verifier overturns it. */
    flipOverturned: z.boolean().default(false),
    normalize: z.enum(NOISY_REWARD_NORMALIZATIONS).default('fixed'),
    /** Divisor for `fixed`. */
    scale: z.number().positive().default(1),
    /** `ema-std`: weight of the previous average. */
    emaDecay: z.number().min(0).lt(1).default(0.99),
    /** Added to the divisor of `ema-std` and `group-std`. */
    eps: z.number().min(0).default(1e-6),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.correction !== 'none' && o.rho1 === undefined) {
      ctx.addIssue({ code: 'custom', path: ['rho1'], message: `correction "${o.correction}" needs rho1 (a rate in [0, 0.5) or 'appeals')` })
    }
    if (o.rescale && o.correction !== 'forward') ctx.addIssue({ code: 'custom', path: ['rescale'], message: 'rescale applies to correction "forward" only' })
    if (typeof o.rho1 === 'number' && o.correction === 'backward' && o.rho0 + o.rho1 >= 1) {
      ctx.addIssue({ code: 'custom', path: ['rho1'], message: 'rho0 + rho1 must be below 1' })
    }
  })

export type NoisyRewardOptions = z.input<typeof noisyRewardOptionsSchema>

/** What the trick reports, for the bench and for users. */
export interface NoisyRewardStats {
  /** ρ1 used at each step (the fixed value, or the running estimate). */
  readonly rho1Trace: number[]
  /** Appeal calls made so far. */
  appealCalls: number
  /** Appealed negatives that the appeal verifier overturned. */
  overturned: number
}

/**
 * Corrects noisy binary verifier rewards in GRPO (Cai et al., "Reinforcement Learning with
 * Verifiable yet Noisy Rewards under Imperfect Verifiers"): backward correction (unbiased for the
 * clean reward) or forward correction (needs only the false-negative rate), acting on the
 * advantages through its `rewards` hook, with optional online estimation of ρ1 from appeals.
 */
export function noisyReward(options: NoisyRewardOptions): Trick & { readonly stats: NoisyRewardStats } {
  const o = parseOptions(noisyRewardOptionsSchema, options, 'noisyReward options')
  const estimating = o.rho1 === 'appeals'
  const appealing = estimating || o.flipOverturned
  if (typeof o.rho1 === 'number' && o.correction === 'backward') checkRates({ rho0: o.rho0, rho1: o.rho1 }, 'noisyReward options')
  let estimator = new AppealEstimator(o.appeals ?? {})
  let ema = new EmaScale(o.emaDecay, 1)
  const stats: NoisyRewardStats = { rho1Trace: [], appealCalls: 0, overturned: 0 }

  const appeal = (rollouts: RolloutBatch, rng: Rng): Float32Array => {
    if (!rollouts.appeal) {
      throw new ContractError('noisy-reward: appeals (rho1: "appeals" or flipOverturned) need a task whose rollouts offer appeal() (e.g. rlArithmetic with its `appeal` option)')
    }
    const observed = rollouts.observed
    const chosen = estimator.choose(observed, rng)
    const verdicts = chosen.length ? rollouts.appeal(chosen) : new Float32Array(0)
    estimator.update(observed, chosen, verdicts)
    stats.appealCalls = estimator.appealCalls
    if (!o.flipOverturned) return observed
    const flipped = Float32Array.from(observed)
    chosen.forEach((i, k) => {
      if (verdicts[k] === 1) {
        flipped[i] = 1
        stats.overturned++
      }
    })
    return flipped
  }

  return {
    name: 'noisy-reward',
    options: o,
    requires: ['rewards'],
    stats,
    setup() {
      estimator = new AppealEstimator(o.appeals ?? {})
      ema = new EmaScale(o.emaDecay, 1)
      stats.rho1Trace.length = 0
      stats.appealCalls = 0
      stats.overturned = 0
    },
    rewards(ctx, rollouts) {
      const G = rollouts.groupSize
      const observed = appealing ? appeal(rollouts, ctx.rng('noisy-reward')) : rollouts.observed
      const rho1 = estimating ? estimator.value : ((o.rho1 as number | undefined) ?? 0)
      stats.rho1Trace.push(rho1)
      let values: Float32Array
      if (o.correction === 'backward') values = backwardCorrect(observed, { rho0: o.rho0, rho1 })
      else if (o.correction === 'forward') {
        values = forwardWeights(observed, rho1)
        if (o.rescale) values = values.map((w) => w / (1 - rho1))
      } else values = observed
      let advantages: Float32Array
      if (o.normalize === 'group-std') advantages = groupZScores(values, G, o.eps)
      else {
        let scale = o.scale
        if (o.normalize === 'ema-std') {
          ema.observe(observed, G)
          scale = ema.value + o.eps
        }
        advantages = o.correction === 'forward' ? Float32Array.from(values, (v) => v / scale) : groupCentred(values, G, scale)
      }
      rollouts.observed = observed
      rollouts.advantages = advantages
      return rollouts
    },
    state: () => ({ estimator: estimator.state(), ema: ema.state(), appealCalls: stats.appealCalls, overturned: stats.overturned }),
    loadState(s) {
      estimator.loadState(s.estimator as Record<string, unknown>)
      ema.loadState(s.ema as { m: number; t: number })
      stats.appealCalls = Number(s.appealCalls)
      stats.overturned = Number(s.overturned)
    },
  }
}
