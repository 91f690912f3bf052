import { describe, expect, it } from 'vitest'
import { createRng } from '@converge/core'
import { pairBounds, signTestRank, speedupEstimate } from '../src/paired-ratio.js'

const INF = Number.POSITIVE_INFINITY

describe('per-pair ratio bounds', () => {
  it('are a point when both reach, bounded by the budget when one is censored, absent when neither reaches', () => {
    expect(pairBounds([200, 200, null, null], [100, null, 100, null], 1000)).toEqual([
      { low: 2, high: 2 },
      { low: 0, high: 0.2 },
      { low: 10, high: INF },
      null,
    ])
    expect(() => pairBounds([1], [1, 2], 10)).toThrow(/paired/)
  })
})

describe('sign-test interval', () => {
  it('uses the widest-needed order statistics with their exact binomial coverage', () => {
    expect(signTestRank(3)).toEqual({ k: 1, coverage: 0.75 })
    expect(signTestRank(5)).toEqual({ k: 1, coverage: 0.9375 })
    expect(signTestRank(6).k).toBe(1)
    expect(signTestRank(6).coverage).toBeCloseTo(0.96875)
    expect(signTestRank(10)).toMatchObject({ k: 2 })
    expect(signTestRank(10).coverage).toBeCloseTo(1 - 22 / 1024)
    expect(signTestRank(20).k).toBe(6)
  })
  it('uses the signed-rank interval only when every pair reached on both runs, and keeps both', () => {
    const complete = speedupEstimate(pairBounds([120, 130, 140, 150, 160, 170, 180], [100, 100, 100, 100, 100, 100, 100], 1000))
    expect(complete.method).toBe('signed-rank')
    expect(complete.signedRank).not.toBeNull()
    expect(complete.low).toBe(complete.signedRank!.low)
    // 7 pairs: the sign test still needs [min, max]; the signed-rank interval (k = 3) takes the third
    // Walsh average from each end: after 1.2 and √(1.2·1.3) comes √(1.2·1.4) (below 1.3).
    expect(complete.signTest).toMatchObject({ low: 1.2, high: 1.8 })
    expect(complete.low).toBeCloseTo(Math.sqrt(1.2 * 1.4), 12)
    expect(complete.high).toBeCloseTo(1.7, 12) // 1.8, √(1.7·1.8), then 1.7 (above √(1.6·1.8))
    const censored = speedupEstimate(pairBounds([120, 130, 140, 150, 160, 170, 180], [100, 100, 100, 100, 100, 100, null], 1000))
    expect(censored).toMatchObject({ method: 'sign-test', signedRank: null })
    expect(censored.low).toBe(censored.signTest.low)
    expect(speedupEstimate(pairBounds([100, 100, null], [50, 60, null], 1000)).method).toBe('sign-test')
  })
  it('marks an end open when strict (censored) bounds put the true order statistic strictly inside', () => {
    // every arm run missed, every baseline run reached at the budget: each ratio is strictly below 1
    const allMissed = speedupEstimate(pairBounds([1000, 1000, 1000], [null, null, null], 1000))
    expect(allMissed).toMatchObject({ high: 1, highOpen: true, lowOpen: false })
    // one pair reached exactly at ratio 1 (not strict): the end is closed
    const oneExact = speedupEstimate(pairBounds([1000, 1000, 1000], [null, null, 1000], 1000))
    expect(oneExact).toMatchObject({ high: 1, highOpen: false })
  })
  it('estimates the median as a point or a bound and counts informative pairs', () => {
    const e = speedupEstimate(pairBounds([100, 100, 100, null], [50, 100, null, null], 1000))
    expect(e).toMatchObject({ n: 3, uninformative: 1, censored: 1, estimateLow: 1, estimateHigh: 1, enough: true })
    const miss = speedupEstimate(pairBounds([900, 1000, 1100], [null, null, null], 2000))
    expect(miss).toMatchObject({ estimateLow: 0, estimateHigh: 0.5, low: 0, high: 0.55 })
  })

  /**
   * Coverage by simulation at the seed counts suites use: paired log-normal steps with a known
   * median ratio, some runs censored at the budget. The interval must cover the true median ratio
   * at least at its stated level (minus Monte Carlo error: 3 standard errors).
   * paired-interval-coverage.test.ts covers n = 3…30, skewed noise and the signed-rank rows.
   */
  it.each([2, 3, 5, 8, 10])('covers the true median ratio at its stated level with %i pairs, censoring included', (n) => {
    const truth = 1.5
    const budget = 600
    const rng = createRng(`coverage-${n}`)
    const sims = 4000
    let covered = 0
    let stated = 0
    for (let s = 0; s < sims; s++) {
      const base: (number | null)[] = []
      const arm: (number | null)[] = []
      for (let i = 0; i < n; i++) {
        const b = 400 * Math.exp(0.35 * rng.normal())
        const a = (b / truth) * Math.exp(0.3 * rng.normal())
        base.push(b <= budget ? b : null)
        arm.push(a <= budget ? a : null)
      }
      const e = speedupEstimate(pairBounds(base, arm, budget))
      stated += e.level / sims
      // An experiment where a pair was left out (neither reached) counts as a miss: stricter.
      if (e.n > 0 && e.low <= truth && truth <= e.high) covered++
    }
    // Each experiment states the level of the interval it used (signed-rank or sign test).
    const mcError = Math.sqrt((stated * (1 - stated)) / sims)
    expect(covered / sims).toBeGreaterThanOrEqual(stated - 3 * mcError)
  })
})
