import { createRng } from '@converge/core'

/**
 * Statistics for steps-to-target over paired seeds. A run that never reached the target is
 * censored: its steps-to-target is +Infinity ("more than maxSteps"), never dropped. Infinity
 * sorts above every finite value, so medians and percentiles stay meaningful while more than half
 * the runs reach the target, and say "not reached" otherwise.
 */

/** The middle value twice (odd count) or the two middle values (even count) of the sorted values. */
function middle(values: readonly number[]): [number, number] {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? [s[mid] as number, s[mid] as number] : [s[mid - 1] as number, s[mid] as number]
}

/** Median; for an even count, the mean of the two middle values (Infinity if either is). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const [lo, hi] = middle(values)
  return lo === hi ? lo : (lo + hi) / 2
}

/** Percentile (0-100) by linear interpolation between order statistics; handles ±Infinity. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const pos = (p / 100) * (s.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = s[lo] as number
  const b = s[hi] as number
  if (lo === hi || a === b) return a
  if (!Number.isFinite(a) || !Number.isFinite(b)) return pos - lo < 0.5 ? a : b
  return a + (b - a) * (pos - lo)
}

/**
 * Per-seed speed-up of an arm over the baseline: baseline steps / arm steps. Censored runs count
 * as +Infinity steps, so an arm that misses where the baseline reaches gives 0, the reverse gives
 * +Infinity, and a pair where neither reaches carries no information and gives NaN (left out).
 */
export function pairedSpeedups(baseline: readonly number[], arm: readonly number[]): number[] {
  if (baseline.length !== arm.length) throw new RangeError('paired speed-ups need one arm run per baseline run')
  return baseline.map((b, i) => {
    const a = arm[i] as number
    if (!Number.isFinite(a) && !Number.isFinite(b)) return Number.NaN
    if (!Number.isFinite(a)) return 0
    if (!Number.isFinite(b)) return Number.POSITIVE_INFINITY
    return a === 0 ? (b === 0 ? 1 : Number.POSITIVE_INFINITY) : b / a
  })
}

/** Median of ratios, taken in log space for an even count (geometric mean of the middle two). */
export function medianRatio(ratios: readonly number[]): number {
  const r = ratios.filter((x) => !Number.isNaN(x))
  if (r.length === 0) return Number.NaN
  const [lo, hi] = middle(r)
  if (lo === hi) return lo
  if (lo === 0 && !Number.isFinite(hi)) return Number.NaN
  if (lo === 0) return 0
  if (!Number.isFinite(hi)) return Number.POSITIVE_INFINITY
  return Math.sqrt(lo * hi)
}

export interface Interval {
  readonly estimate: number
  readonly low: number
  readonly high: number
  /** Pairs used (pairs where neither run reached the target are left out). */
  readonly n: number
}

/**
 * Percentile-bootstrap confidence interval for the median paired speed-up: resample seed pairs
 * with replacement (`resamples` times, from a seeded stream so reports are reproducible).
 */
export function bootstrapMedianRatioCI(ratios: readonly number[], options: { resamples?: number; level?: number; seed?: string } = {}): Interval {
  const r = ratios.filter((x) => !Number.isNaN(x))
  const estimate = medianRatio(r)
  if (r.length === 0) return { estimate, low: Number.NaN, high: Number.NaN, n: 0 }
  const resamples = options.resamples ?? 10_000
  const level = options.level ?? 0.95
  const rng = createRng(options.seed ?? 'bootstrap')
  const stats: number[] = []
  const sample = new Array<number>(r.length)
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < r.length; i++) sample[i] = r[rng.int(r.length)] as number
    const m = medianRatio(sample)
    if (!Number.isNaN(m)) stats.push(m)
  }
  const tail = ((1 - level) / 2) * 100
  return { estimate, low: percentile(stats, tail), high: percentile(stats, 100 - tail), n: r.length }
}

/** P(arm faster than baseline) over seed pairs: ties count half; pairs where neither reached are left out. */
export function probabilityFaster(baseline: readonly number[], arm: readonly number[]): number {
  let wins = 0
  let n = 0
  baseline.forEach((b, i) => {
    const a = arm[i] as number
    if (!Number.isFinite(a) && !Number.isFinite(b)) return
    n++
    if (a < b) wins += 1
    else if (a === b) wins += 0.5
  })
  return n === 0 ? Number.NaN : wins / n
}
