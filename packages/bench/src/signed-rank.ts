/**
 * Wilcoxon signed-rank machinery on paired differences (here: per-pair log step-ratios): the exact
 * null distribution of the signed-rank statistic, the Hodges–Lehmann estimate (median of the Walsh
 * averages) and the exact confidence interval [W(k), W(M+1−k)] from the sorted Walsh averages.
 *
 * The interval covers the centre of symmetry of the differences with probability
 * 1 − 2·P(T⁺ ≤ k−1) for any continuous distribution symmetric about it. In a paired design where an
 * arm shifts log-steps and the run-to-run noise has the same law in both arms, the difference of the
 * two noises is symmetric whatever that law's own skew, which is why the bench can use it.
 *
 * Censored pairs are bounds [low, high] on their difference. Every Walsh average is increasing in
 * every difference, so the order statistics are too: the lower end computed from every pair's lowest
 * value and the upper end from every pair's highest cover whatever values lie inside the bounds (the
 * worst and best assignment), and the coverage is kept without inventing a value.
 */

/**
 * P(T⁺ ≤ t) for t = 0 … n(n+1)/2 under the null (each rank's sign a fair coin), computed exactly by
 * the recursion over ranks in probabilities (no 2ⁿ counts to overflow). Cached per n.
 */
const cdfCache = new Map<number, Float64Array>()
export function signedRankCdf(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`signed-rank distribution needs a whole number of pairs, got ${n}`)
  const cached = cdfCache.get(n)
  if (cached) return cached
  const max = (n * (n + 1)) / 2
  let p = new Float64Array(max + 1)
  p[0] = 1
  for (let rank = 1; rank <= n; rank++) {
    const next = new Float64Array(max + 1)
    const top = (rank * (rank + 1)) / 2
    for (let t = 0; t <= top; t++) next[t] = 0.5 * ((p[t] as number) + (t >= rank ? (p[t - rank] as number) : 0))
    p = next
  }
  const cdf = new Float64Array(max + 1)
  let sum = 0
  for (let t = 0; t <= max; t++) {
    sum += p[t] as number
    cdf[t] = Math.min(1, sum)
  }
  cdfCache.set(n, cdf)
  return cdf
}

/**
 * The Walsh-average rank k (1-based; the interval is [W(k), W(M+1−k)], M = n(n+1)/2) and its exact
 * coverage: the largest k whose coverage reaches `level`, else k = 1 with its own (lower) coverage.
 */
export function signedRankK(n: number, level: number): { k: number; coverage: number } {
  if (n < 1) return { k: 1, coverage: 0 }
  const cdf = signedRankCdf(n)
  const m = (n * (n + 1)) / 2
  let best = { k: 1, coverage: 1 - 2 * (cdf[0] as number) }
  for (let k = 2; k <= Math.floor((m + 1) / 2); k++) {
    const coverage = 1 - 2 * (cdf[k - 1] as number)
    if (coverage >= level) best = { k, coverage }
    else break
  }
  return best
}

/**
 * The n(n+1)/2 Walsh averages (dᵢ + dⱼ)/2, i ≤ j, sorted ascending. Values may be ±Infinity (a
 * censored bound) but never both signs in one call, so no average is NaN.
 */
export function walshAverages(d: readonly number[]): Float64Array {
  const n = d.length
  const out = new Float64Array((n * (n + 1)) / 2)
  let w = 0
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) out[w++] = ((d[i] as number) + (d[j] as number)) / 2
  return out.sort()
}

/** Median of sorted values (the mean of the middle two for an even count). */
function sortedMedian(s: ArrayLike<number>): number {
  const m = Math.floor(s.length / 2)
  if (s.length === 0) return Number.NaN
  if (s.length % 2 === 1) return s[m] as number
  const lo = s[m - 1] as number
  const hi = s[m] as number
  return lo === hi ? lo : (lo + hi) / 2
}

export interface SignedRankInterval {
  /** Hodges–Lehmann estimate bounds (median of the Walsh averages of the lows / of the highs). */
  readonly estimateLow: number
  readonly estimateHigh: number
  /** [W(k) of the lows, W(M+1−k) of the highs]. */
  readonly low: number
  readonly high: number
  readonly k: number
  /** Exact coverage for a continuous symmetric distribution of the differences. */
  readonly coverage: number
}

/** The Hodges–Lehmann estimate and exact signed-rank interval from per-pair bounds on the differences. */
export function signedRankInterval(lows: readonly number[], highs: readonly number[], level: number): SignedRankInterval {
  if (lows.length !== highs.length) throw new RangeError('signed-rank interval: one low and one high per pair')
  const n = lows.length
  if (n === 0) return { estimateLow: Number.NaN, estimateHigh: Number.NaN, low: Number.NaN, high: Number.NaN, k: 0, coverage: 0 }
  const { k, coverage } = signedRankK(n, level)
  const wl = walshAverages(lows)
  const wh = lows === highs ? wl : walshAverages(highs)
  const m = wl.length
  return { estimateLow: sortedMedian(wl), estimateHigh: sortedMedian(wh), low: wl[k - 1] as number, high: wh[m - k] as number, k, coverage }
}
