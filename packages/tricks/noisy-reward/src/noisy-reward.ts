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

/** A rate in [0, 0.5): the verifier is still better than its opposite. */
const rate = z.number().min(0).lt(0.5)

export const noisyRewardOptionsSchema = z
  .object({
    /**
     * `backward`: R̂ = (R̃ − ρ0)/(1 − ρ0 − ρ1), centred per group (needs both rates).
     * `forward`: weights ρ1 (observed 1) and ρ1 − 1 (observed 0), no group baseline (needs ρ1 only).
     * `none`: the observed reward, centred per group (the uncorrected arm, same pipeline).
     */
    correction: z.enum(['backward', 'forward', 'none']),
    /** False-positive rate P(observed 1 | clean 0), or one per source name; used by `backward`. */
    rho0: z.union([rate, z.record(z.string(), rate)]).default(0),
    /**
     * False-negative rate P(observed 0 | clean 1), one per source name (`{ add4: 0.1, add6: 0.45 }`,
     * read from `rollouts.sources`), or `'appeals'` to estimate it online.
     */
    rho1: z.union([rate, z.record(z.string(), rate), z.literal('appeals')]).optional(),
    /**
     * With `rho1: 'appeals'`: keep one estimate per source (from `rollouts.sources`) instead of one
     * for the whole batch, for verifiers whose error rate differs between sources.
     */
    perSource: z.boolean().default(false),
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
    if (o.perSource && o.rho1 !== 'appeals') ctx.addIssue({ code: 'custom', path: ['perSource'], message: "perSource applies to rho1: 'appeals' only (give per-source rates as a record instead)" })
  })

export type NoisyRewardOptions = z.input<typeof noisyRewardOptionsSchema>

/** What the trick reports, for the bench and for users. */
export interface NoisyRewardStats {
  /** ρ1 used at each step (the fixed value, or the running estimate; per source: their mean). */
  readonly rho1Trace: number[]
  /** With per-source rates or estimates: ρ1 used at each step, by source (from the first batch that holds it). */
  readonly rho1BySource: Record<string, number[]>
  /** Appeal calls made so far. */
  appealCalls: number
  /** Appealed negatives that the appeal verifier overturned. */
  overturned: number
}

type RateOption = number | Readonly<Record<string, number>>

/** The rate for `source`: a single number, or the source's entry (a clear error when missing). */
function rateFor(option: RateOption, source: string, name: string): number {
  if (typeof option === 'number') return option
  const r = option[source]
  if (r === undefined) throw new ContractError(`noisy-reward: ${name} has no rate for source "${source}" (rates given for: ${Object.keys(option).join(', ')})`)
  return r
}

/**
 * Corrects noisy binary verifier rewards in GRPO (Cai et al., "Reinforcement Learning with
 * Verifiable yet Noisy Rewards under Imperfect Verifiers"): backward correction (unbiased for the
 * clean reward) or forward correction (needs only the false-negative rate), acting on the
 * advantages through its `rewards` hook, with optional online estimation of ρ1 from appeals, for
 * the whole batch or per source.
 */
export function noisyReward(options: NoisyRewardOptions): Trick & { readonly stats: NoisyRewardStats } {
  const o = parseOptions(noisyRewardOptionsSchema, options, 'noisyReward options')
  const estimating = o.rho1 === 'appeals'
  const appealing = estimating || o.flipOverturned
  if (o.correction === 'backward' && o.rho1 !== undefined && o.rho1 !== 'appeals') {
    if (typeof o.rho0 === 'number' && typeof o.rho1 === 'number') checkRates({ rho0: o.rho0, rho1: o.rho1 }, 'noisyReward options')
  }
  const newEstimators = () => new Map<string, AppealEstimator>()
  /** One estimator under the key '' (whole batch), or one per source with `perSource`. */
  let estimators = newEstimators()
  const estimatorFor = (key: string): AppealEstimator => {
    let e = estimators.get(key)
    if (!e) estimators.set(key, (e = new AppealEstimator(o.appeals ?? {})))
    return e
  }
  /** Picks the negatives to appeal (its estimate is unused). */
  const sampler = new AppealEstimator(o.appeals ?? {})
  let ema = new EmaScale(o.emaDecay, 1)
  const stats: NoisyRewardStats = { rho1Trace: [], rho1BySource: {}, appealCalls: 0, overturned: 0 }
  const callsSoFar = () => [...estimators.values()].reduce((n, e) => n + e.appealCalls, 0)

  const appeal = (rollouts: RolloutBatch, rng: Rng): Float32Array => {
    if (!rollouts.appeal) {
      throw new ContractError('noisy-reward: appeals (rho1: "appeals" or flipOverturned) need a task whose rollouts offer appeal() (e.g. rlArithmetic with its `appeal` option)')
    }
    const observed = rollouts.observed
    // Which negatives to appeal is one draw per response over the whole batch, whatever the
    // estimator layout, so the appeal stream stays aligned between per-batch and per-source runs.
    const chosen = sampler.choose(observed, rng)
    const verdicts = chosen.length ? rollouts.appeal(chosen) : new Float32Array(0)
    if (!o.perSource) estimatorFor('').update(observed, chosen, verdicts)
    else {
      const bySource = new Map<string, { observed: number[]; appealed: number[]; verdicts: number[] }>()
      const at = new Map(chosen.map((i, k) => [i, k]))
      observed.forEach((r, i) => {
        const source = rollouts.sources[i] as string
        let b = bySource.get(source)
        if (!b) bySource.set(source, (b = { observed: [], appealed: [], verdicts: [] }))
        const k = at.get(i)
        if (k !== undefined) {
          b.appealed.push(b.observed.length)
          b.verdicts.push(verdicts[k] as number)
        }
        b.observed.push(r)
      })
      for (const [source, b] of bySource) estimatorFor(`source:${source}`).update(b.observed, b.appealed, b.verdicts)
    }
    stats.appealCalls = callsSoFar()
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

  /** ρ1 for a source this step: the fixed rate, its entry, or the (per-source) estimate. */
  const rho1For = (source: string): number => {
    if (o.rho1 === 'appeals') return estimatorFor(o.perSource ? `source:${source}` : '').value
    return o.rho1 === undefined ? 0 : rateFor(o.rho1, source, 'rho1')
  }
  const perSourceRates = (o.perSource && estimating) || typeof o.rho1 === 'object' || typeof o.rho0 === 'object'

  return {
    name: 'noisy-reward',
    options: o,
    requires: ['rewards'],
    stats,
    setup() {
      estimators = newEstimators()
      ema = new EmaScale(o.emaDecay, 1)
      stats.rho1Trace.length = 0
      for (const k of Object.keys(stats.rho1BySource)) delete stats.rho1BySource[k]
      stats.appealCalls = 0
      stats.overturned = 0
    },
    rewards(ctx, rollouts) {
      const G = rollouts.groupSize
      const observed = appealing ? appeal(rollouts, ctx.rng('noisy-reward')) : rollouts.observed
      // Rates per group (every response of a group shares its prompt's source).
      const groups = observed.length / G
      const rho1s = new Float64Array(groups)
      const seen = new Map<string, number>()
      for (let g = 0; g < groups; g++) {
        const source = rollouts.sources[g * G] as string
        let r = seen.get(source)
        if (r === undefined) seen.set(source, (r = rho1For(source)))
        rho1s[g] = r
      }
      if (perSourceRates) {
        for (const [source, r] of seen) (stats.rho1BySource[source] ??= []).push(r)
        stats.rho1Trace.push([...seen.values()].reduce((a, b) => a + b, 0) / Math.max(1, seen.size))
      } else stats.rho1Trace.push(rho1For(''))
      let values: Float32Array
      if (o.correction === 'none') values = observed
      else {
        values = new Float32Array(observed.length)
        for (let g = 0; g < groups; g++) {
          const span = observed.subarray(g * G, (g + 1) * G)
          const rho1 = rho1s[g] as number
          let v: Float32Array
          if (o.correction === 'backward') v = backwardCorrect(span, { rho0: rateFor(o.rho0, rollouts.sources[g * G] as string, 'rho0'), rho1 })
          else {
            v = forwardWeights(span, rho1)
            if (o.rescale) v = v.map((w) => w / (1 - rho1))
          }
          values.set(v, g * G)
        }
      }
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
    state: () => ({
      estimators: Object.fromEntries([...estimators].map(([k, e]) => [k, e.state()])),
      ema: ema.state(),
      appealCalls: stats.appealCalls,
      overturned: stats.overturned,
    }),
    loadState(s) {
      estimators = newEstimators()
      for (const [k, e] of Object.entries(s.estimators as Record<string, Record<string, unknown>>)) estimatorFor(k).loadState(e)
      ema.loadState(s.ema as { m: number; t: number })
      stats.appealCalls = Number(s.appealCalls)
      stats.overturned = Number(s.overturned)
    },
  }
}
