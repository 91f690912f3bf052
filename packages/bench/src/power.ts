import { createRng } from '@converge/core'
import { CI_LEVEL, signTestRank, type IntervalMethod, type PairBound } from './paired-ratio.js'
import { signedRankK, walshAverages } from './signed-rank.js'

/**
 * The minimum detectable speed-up: the smallest true speed-up that the bench's interval would have
 * called "faster" (lower end above 1) with 80% power, at a row's pair count, with per-pair log
 * ratios spread like the row's own.
 *
 * Model: per-pair log ratios dᵢ = log r + σ·zᵢ with zᵢ standard normal and no censoring (a censored
 * pair only widens an interval, so for a row with censored pairs the figure is optimistic and the
 * report says so). Both intervals are shift- and scale-equivariant in the log ratios: the lower end
 * for d is log r + σ·L(z). So "detected" is log r > −σ·L(z), and the power at r is P(−L(z) < log r / σ):
 * the minimum detectable log speed-up is σ times the 80% quantile of −L(z). That quantile is taken
 * once per (test, n) from a seeded simulation, so every report gives the same figure for the same
 * rows.
 */

/** The power at which a speed-up counts as detectable. */
export const DETECTION_POWER = 0.8

/** Simulated experiments per (test, pair count): the 80% quantile of −L(z) is within ≈ 0.01–0.02 (one standard error, in units of σ). */
export const POWER_SIMULATIONS = 10_000

/** The lower end of a test's interval, in log ratios, for complete pairs `d`. */
export function lowerEnd(method: IntervalMethod, d: readonly number[], level = CI_LEVEL): number {
  const n = d.length
  if (method === 'signed-rank') return walshAverages(d)[signedRankK(n, level).k - 1] as number
  const s = [...d].sort((a, b) => a - b)
  return s[signTestRank(n, level).k - 1] as number
}

const quantileCache = new Map<string, number>()

/**
 * c such that a true log speed-up of c·σ is detected with `DETECTION_POWER`, for `n` pairs and the
 * given test; +Infinity when the test cannot reach that power (n < 1).
 */
export function detectionFactor(method: IntervalMethod, n: number, level = CI_LEVEL): number {
  if (!Number.isInteger(n) || n < 1) return Number.POSITIVE_INFINITY
  const key = `${method}:${n}:${level}`
  const cached = quantileCache.get(key)
  if (cached !== undefined) return cached
  const rng = createRng(`minimum-detectable:${key}`)
  const needed = new Float64Array(POWER_SIMULATIONS)
  const z = new Array<number>(n)
  for (let s = 0; s < POWER_SIMULATIONS; s++) {
    for (let i = 0; i < n; i++) z[i] = rng.normal()
    needed[s] = -lowerEnd(method, z, level)
  }
  needed.sort()
  const c = needed[Math.ceil(DETECTION_POWER * POWER_SIMULATIONS) - 1] as number
  quantileCache.set(key, c)
  return c
}

/** Sample standard deviation of per-pair log ratios over pairs where both runs reached; null below 2. */
export function logRatioSpread(bounds: readonly (PairBound | null)[]): { spread: number | null; pairs: number } {
  const d = bounds
    .filter((b): b is PairBound => b !== null && b.low === b.high && b.low > 0 && Number.isFinite(b.low))
    .map((b) => Math.log(b.low))
  if (d.length < 2) return { spread: null, pairs: d.length }
  const mean = d.reduce((a, b) => a + b, 0) / d.length
  const v = d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1)
  return { spread: Math.sqrt(v), pairs: d.length }
}

export interface MinimumDetectable {
  /** Smallest true speed-up detected with 80% power (a slow-down of 1/x is as detectable); null without a spread. */
  readonly speedup: number | null
  /** Standard deviation of the per-pair log ratios it assumes (pairs where both runs reached). */
  readonly logSpread: number | null
  /** Pairs the spread comes from. */
  readonly spreadPairs: number
  /** Pairs the simulated test has (the row's informative pairs). */
  readonly pairs: number
  /** The test simulated (the row's own interval). */
  readonly test: IntervalMethod
  readonly power: number
  /** True when the row had censored pairs: the figure assumes none, so the row could detect less. */
  readonly optimistic: boolean
}

/** The minimum detectable speed-up of a test with `n` pairs at log-ratio spread `sigma`. */
export function minimumDetectableSpeedup(method: IntervalMethod, n: number, sigma: number, level = CI_LEVEL): number {
  return Math.exp(sigma * detectionFactor(method, n, level))
}

/** The fewest pairs from `min` on for `method` to detect `effect` with 80% power at `sigma`, up to `cap`; null if the cap is not enough. */
export function pairsToDetect(method: IntervalMethod, effect: number, sigma: number, cap: number, min = 3, level = CI_LEVEL): number | null {
  for (let n = min; n <= cap; n++) if (minimumDetectableSpeedup(method, n, sigma, level) <= effect) return n
  return null
}

/** A row's minimum detectable speed-up from its per-pair bounds and the interval it used. */
export function minimumDetectable(bounds: readonly (PairBound | null)[], method: IntervalMethod, level = CI_LEVEL): MinimumDetectable {
  const informative = bounds.filter((b): b is PairBound => b !== null)
  const { spread, pairs: spreadPairs } = logRatioSpread(bounds)
  const n = informative.length
  return {
    speedup: spread === null || n < 1 ? null : minimumDetectableSpeedup(method, n, spread, level),
    logSpread: spread,
    spreadPairs,
    pairs: n,
    test: method,
    power: DETECTION_POWER,
    optimistic: informative.some((b) => b.low !== b.high) || informative.length < bounds.length,
  }
}
