import { describe, expect, it } from 'vitest'
import { createRng } from '@converge/core'
import { bootstrapMedianRatioCI, median, medianRatio, pairedSpeedups, percentile, probabilityFaster } from '../src/stats.js'

const INF = Number.POSITIVE_INFINITY

describe('medians and percentiles', () => {
  it('handle censored (infinite) values without dropping them', () => {
    expect(median([300, INF, 200])).toBe(300)
    expect(median([INF, INF, 200])).toBe(INF) // most runs did not reach: the median says so
    expect(median([100, 200])).toBe(150)
    expect(median([100, INF])).toBe(INF)
    expect(percentile([1, 2, 3, 4, 5], 50)).toBe(3)
    expect(percentile([1, 2, 3, 4, 5], 25)).toBe(2)
    expect(percentile([1, 2, INF], 100)).toBe(INF)
  })
})

describe('paired speed-ups with censoring', () => {
  it('is baseline/arm per seed; a miss gives 0, a baseline miss gives ∞, both missing is left out', () => {
    expect(pairedSpeedups([200, 200, INF, INF], [100, INF, 100, INF])).toEqual([2, 0, INF, Number.NaN])
    expect(() => pairedSpeedups([1], [1, 2])).toThrow(/paired/)
  })
  it('median of ratios takes the geometric mean of the middle pair', () => {
    expect(medianRatio([1, 4])).toBe(2)
    expect(medianRatio([0.5, 2, 8])).toBe(2)
    expect(medianRatio([Number.NaN, 3])).toBe(3)
    expect(medianRatio([0, 0, 2])).toBe(0)
  })
  it('P(faster) counts ties as half and skips pairs where neither reached', () => {
    expect(probabilityFaster([100, 100, 100, INF], [50, 100, 200, INF])).toBeCloseTo(0.5)
    expect(probabilityFaster([100, INF], [INF, 50])).toBe(0.5)
  })
})

describe('bootstrap CI of the median speed-up', () => {
  it('is reproducible for a seed and brackets the estimate', () => {
    const r = [1.1, 1.3, 0.9, 1.5, 1.2, 1.25, 1.05]
    const a = bootstrapMedianRatioCI(r, { seed: 's', resamples: 2000 })
    const b = bootstrapMedianRatioCI(r, { seed: 's', resamples: 2000 })
    expect(a).toEqual(b)
    expect(a.low).toBeLessThanOrEqual(a.estimate)
    expect(a.high).toBeGreaterThanOrEqual(a.estimate)
    expect(a.n).toBe(7)
  })

  it('covers a known median ratio about 95% of the time over many simulated experiments', () => {
    // Baseline steps are log-normal per seed; the arm is 1.5x faster with its own noise, so the
    // per-seed ratio is 1.5·exp(ε) with symmetric ε: its median is exactly 1.5.
    const truth = 1.5
    const rng = createRng('coverage')
    const sims = 300
    let covered = 0
    for (let s = 0; s < sims; s++) {
      const base: number[] = []
      const arm: number[] = []
      for (let i = 0; i < 20; i++) {
        const b = 400 * Math.exp(0.3 * rng.normal())
        base.push(b)
        arm.push((b / truth) * Math.exp(0.25 * rng.normal()))
      }
      const ci = bootstrapMedianRatioCI(pairedSpeedups(base, arm), { seed: `sim${s}`, resamples: 1000 })
      if (ci.low <= truth && truth <= ci.high) covered++
    }
    const coverage = covered / sims
    expect(coverage).toBeGreaterThan(0.88)
    expect(coverage).toBeLessThan(0.995)
  })

  it('excludes 1 for a clear effect and includes it for none', () => {
    const rng = createRng('effect')
    const noise = () => Math.exp(0.1 * rng.normal())
    const strong = Array.from({ length: 10 }, () => 2 * noise())
    const none = Array.from({ length: 10 }, () => noise())
    expect(bootstrapMedianRatioCI(strong, { resamples: 2000 }).low).toBeGreaterThan(1)
    const ci = bootstrapMedianRatioCI(none, { resamples: 2000 })
    expect(ci.low).toBeLessThan(1)
    expect(ci.high).toBeGreaterThan(1)
  })

  it('keeps censored pairs: an arm that always misses gets [0, 0]', () => {
    const ci = bootstrapMedianRatioCI(pairedSpeedups([100, 120, 90], [INF, INF, INF]), { resamples: 500 })
    expect(ci).toMatchObject({ estimate: 0, low: 0, high: 0, n: 3 })
    expect(bootstrapMedianRatioCI(pairedSpeedups([INF], [INF])).n).toBe(0)
  })
})
