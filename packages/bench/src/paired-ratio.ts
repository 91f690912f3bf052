import { signedRankInterval } from './signed-rank.js'

/**
 * The speed-up of an arm over the baseline from paired seeds, with censoring handled as bounds and
 * a confidence interval whose coverage is exact for any seed count: the Wilcoxon signed-rank
 * interval (Hodges–Lehmann estimate) when every pair has both runs reaching the target, the sign
 * test otherwise. Each estimate says which it used (`method`) and carries both.
 *
 * Per seed pair the ratio is baseline steps / arm steps. A run that did not reach the target
 * within `maxSteps` took more than `maxSteps`, so a pair gives an *interval* for its ratio:
 *   both reached          [b/a, b/a]
 *   arm missed            (0, b/maxSteps)      ("< b/maxSteps")
 *   baseline missed       (maxSteps/a, ∞)      ("> maxSteps/a")
 *   neither reached       no information: left out (and counted as such)
 *
 * The CI is the sign-test (order-statistic) interval for the median ratio: with n informative
 * pairs and K ~ Binomial(n, ½), [X(k), X(n+1−k)] covers the median with probability
 * 1 − 2·P(K ≤ k−1), for any continuous distribution. It uses the largest k whose coverage is at
 * least the requested level (95%); below 6 pairs no k reaches 95%, so the interval is [min, max]
 * and its exact (lower) level is stated with it. Order statistics are monotone in every value, so
 * computing the lower end from each pair's lowest possible ratio and the upper end from its highest
 * keeps the coverage with censored pairs.
 *
 * The signed-rank interval (signed-rank.ts) works on log ratios and uses the ranks as well as the
 * signs, so from 7 pairs on it is narrower than the sign test's (at 6 pairs both are [min, max]).
 * It assumes the per-pair log ratio is symmetric about its centre, which a paired design gives when
 * the run-to-run noise has the same law in both arms. With a censored pair its lower (or upper) end
 * is unbounded as soon as k reaches the Walsh averages that pair touches, where the sign test's
 * order statistics still give a finite end; so any censored or left-out pair switches the row to the
 * sign test. The switch depends on the data, so its coverage is shown by simulation
 * (paired-interval-coverage.test.ts): n = 3…30, with and without censoring, symmetric and skewed
 * run-to-run noise.
 */

/** Fewer informative pairs than this print no ratio (the reason is printed instead). */
export const MIN_INFORMATIVE_PAIRS = 3

/** The requested confidence level of speed-up intervals. */
export const CI_LEVEL = 0.95

export interface PairBound {
  /** Lowest and highest ratio consistent with the pair (equal when both runs reached). */
  readonly low: number
  readonly high: number
}

/**
 * Per-pair ratio bounds; `null` for a pair where neither run reached the target. Steps are
 * `null` (or +Infinity) for a run that did not reach the target within `maxSteps`.
 */
export function pairBounds(baseline: readonly (number | null)[], arm: readonly (number | null)[], maxSteps: number): (PairBound | null)[] {
  if (baseline.length !== arm.length) throw new RangeError('paired speed-ups need one arm run per baseline run')
  const reached = (x: number | null): x is number => x !== null && Number.isFinite(x)
  return baseline.map((b, i) => {
    const a = arm[i] as number | null
    if (reached(b) && reached(a)) {
      const r = a === 0 ? (b === 0 ? 1 : Number.POSITIVE_INFINITY) : b / a
      return { low: r, high: r }
    }
    if (reached(b)) return { low: 0, high: b / maxSteps }
    if (reached(a)) return { low: a === 0 ? Number.POSITIVE_INFINITY : maxSteps / a, high: Number.POSITIVE_INFINITY }
    return null
  })
}

const sorted = (v: readonly number[]) => [...v].sort((a, b) => a - b)

/** Median of ratios; for an even count the geometric mean of the middle two (ratios live on a log scale). */
export function medianOfRatios(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const s = sorted(values)
  const m = Math.floor(s.length / 2)
  if (s.length % 2 === 1) return s[m] as number
  const lo = s[m - 1] as number
  const hi = s[m] as number
  if (lo === hi) return lo
  if (lo === 0 || !Number.isFinite(hi)) return lo === 0 ? 0 : Number.POSITIVE_INFINITY
  return Math.sqrt(lo * hi)
}

/** P(K ≤ k) for K ~ Binomial(n, ½). */
function binomialHalfCdf(k: number, n: number): number {
  let term = 0.5 ** n
  let sum = term
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i
    sum += term
  }
  return Math.min(1, sum)
}

/**
 * The order-statistic rank k (1-based; the interval is [X(k), X(n+1−k)]) and its exact coverage:
 * the largest k reaching `level`, else k = 1 with its own (lower) coverage. n ≥ 1.
 */
export function signTestRank(n: number, level = CI_LEVEL): { k: number; coverage: number } {
  let best = { k: 1, coverage: 1 - 2 * 0.5 ** n }
  for (let k = 2; k <= Math.floor((n + 1) / 2); k++) {
    const coverage = 1 - 2 * binomialHalfCdf(k - 1, n)
    if (coverage >= level) best = { k, coverage }
    else break
  }
  if (n === 1) best = { k: 1, coverage: 0 }
  return best
}

/** Which interval a row uses. */
export type IntervalMethod = 'signed-rank' | 'sign-test'

/** One interval for the speed-up: its estimate (a point or bounds), ends and exact level. */
export interface RatioInterval {
  readonly estimateLow: number
  readonly estimateHigh: number
  readonly low: number
  readonly high: number
  readonly level: number
  /**
   * True when the end is open: the bounds force the true order statistic strictly inside it (a
   * censored pair's bound is strict: "took more than the budget"). `[0, 1.00)` excludes 1.
   */
  readonly lowOpen: boolean
  readonly highOpen: boolean
}

export interface SpeedupEstimate {
  /** Informative pairs (at least one run reached the target). */
  readonly n: number
  /** Pairs where neither run reached (left out). */
  readonly uninformative: number
  /** Pairs in which one run was censored (their ratio is only bounded). */
  readonly censored: number
  /** The median ratio lies in [estimateLow, estimateHigh]; equal when the median is a point. */
  readonly estimateLow: number
  readonly estimateHigh: number
  /** Confidence interval for the median ratio; may be 0 or +Infinity at an end. */
  readonly low: number
  readonly high: number
  /** Exact coverage of [low, high] (≥ CI_LEVEL from 6 pairs on; lower, and stated, below). */
  readonly level: number
  /** The interval's ends are open (see RatioInterval): `[0, 1.00)` excludes 1. */
  readonly lowOpen: boolean
  readonly highOpen: boolean
  /** False below MIN_INFORMATIVE_PAIRS: no ratio is printed. */
  readonly enough: boolean
  /** The interval the fields above come from: signed-rank when every pair reached on both runs. */
  readonly method: IntervalMethod
  /** The sign-test interval for the median ratio (always computed). */
  readonly signTest: RatioInterval
  /** The signed-rank interval (Hodges–Lehmann estimate); null when a pair was censored or left out. */
  readonly signedRank: RatioInterval | null
}

const NO_INTERVAL: RatioInterval = { estimateLow: Number.NaN, estimateHigh: Number.NaN, low: Number.NaN, high: Number.NaN, level: 0, lowOpen: false, highOpen: false }

/** The sign-test interval for the median ratio from per-pair bounds (n ≥ 1). */
export function signTestInterval(informative: readonly PairBound[], level = CI_LEVEL): RatioInterval {
  const n = informative.length
  if (n === 0) return NO_INTERVAL
  const lows = sorted(informative.map((b) => b.low))
  const highs = sorted(informative.map((b) => b.high))
  const { k, coverage } = signTestRank(n, level)
  const low = lows[k - 1] as number
  const high = highs[n - k] as number
  const strict = (b: PairBound) => b.low !== b.high
  // The (n+1−k)-th true ratio is below `high` when at least n+1−k pairs are: those whose bound is
  // below it, and censored pairs whose (strict) bound equals it. Likewise for the k-th above `low`.
  const below = informative.filter((b) => b.high < high || (b.high === high && strict(b))).length
  const above = informative.filter((b) => b.low > low || (b.low === low && strict(b))).length
  return {
    estimateLow: medianOfRatios(lows),
    estimateHigh: medianOfRatios(highs),
    low,
    high,
    level: coverage,
    lowOpen: Number.isFinite(low) && low > 0 && above >= n + 1 - k,
    highOpen: Number.isFinite(high) && high > 0 && below >= n + 1 - k,
  }
}

/** The signed-rank interval and Hodges–Lehmann estimate of the ratio, computed on log ratios. */
export function signedRankRatioInterval(informative: readonly PairBound[], level = CI_LEVEL): RatioInterval {
  if (informative.length === 0) return NO_INTERVAL
  const lows = informative.map((b) => Math.log(b.low))
  const highs = informative.every((b) => b.low === b.high) ? lows : informative.map((b) => Math.log(b.high))
  const r = signedRankInterval(lows, highs, level)
  return { estimateLow: Math.exp(r.estimateLow), estimateHigh: Math.exp(r.estimateHigh), low: Math.exp(r.low), high: Math.exp(r.high), level: r.coverage, lowOpen: false, highOpen: false }
}

/** The paired speed-up with its bounds and CI from per-pair bounds (method: see the file comment). */
export function speedupEstimate(bounds: readonly (PairBound | null)[], level = CI_LEVEL): SpeedupEstimate {
  const informative = bounds.filter((b): b is PairBound => b !== null)
  const n = informative.length
  const censored = informative.filter((b) => b.low !== b.high).length
  const signTest = signTestInterval(informative, level)
  // A run that met the target at step 0 gives a ratio of 0 or ∞ (no log): the sign test takes it.
  const complete = n > 0 && censored === 0 && n === bounds.length && informative.every((b) => b.low > 0 && Number.isFinite(b.low))
  const signedRank = complete ? signedRankRatioInterval(informative, level) : null
  const chosen = signedRank ?? signTest
  return {
    n,
    uninformative: bounds.length - n,
    censored,
    enough: n >= MIN_INFORMATIVE_PAIRS,
    estimateLow: chosen.estimateLow,
    estimateHigh: chosen.estimateHigh,
    low: chosen.low,
    high: chosen.high,
    level: chosen.level,
    lowOpen: chosen.lowOpen,
    highOpen: chosen.highOpen,
    method: signedRank ? 'signed-rank' : 'sign-test',
    signTest,
    signedRank,
  }
}
