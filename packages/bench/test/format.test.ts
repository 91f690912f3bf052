import { describe, expect, it } from 'vitest'
import { fmtMs, fmtRatio, fmtSpeedup } from '../src/format.js'
import { pairBounds, speedupEstimate } from '../src/paired-ratio.js'

const INF = Number.POSITIVE_INFINITY
const est = (base: (number | null)[], arm: (number | null)[], maxSteps = 3000) => speedupEstimate(pairBounds(base, arm, maxSteps))

describe('report formatting', () => {
  it('formats ratios, with 0 and ∞ only as interval ends', () => {
    expect(fmtRatio(INF)).toBe('∞')
    expect(fmtRatio(0)).toBe('0')
    expect(fmtRatio(Number.NaN)).toBe('n/a')
  })
  it('shows a point median with its CI, and the CI level when it is below 95%', () => {
    const six = est([120, 130, 140, 150, 160, 170], [100, 100, 100, 100, 100, 100])
    // Every pair reached: the Hodges–Lehmann estimate (median of the Walsh averages of log ratios).
    expect(fmtSpeedup(six)).toBe('1.44x [1.20, 1.70]')
    expect(fmtSpeedup(est([120, 130, 140], [100, 100, 100]))).toBe('1.30x [1.20, 1.40] (75% CI)')
  })
  it('never prints 0x [0, 0] for an arm that does not reach: it is a bound against the budget', () => {
    const s = fmtSpeedup(est([1260, 1200, 1300], [null, null, null]))
    // every pair's bound is strict (the arm took more than the budget): the upper end is open
    expect(s).toBe('< 0.42x [0, 0.43) (75% CI)')
    expect(s).not.toMatch(/0x \[0, 0\]/)
  })
  it('shows a median open upwards as "> x" and an infinite CI end as ∞', () => {
    expect(fmtSpeedup(est([null, null, 1000], [1500, 1000, 1000]))).toBe('> 2.00x [1.00, ∞] (75% CI)')
  })
  it('prints no ratio below the minimum of informative pairs, and says how many there were', () => {
    expect(fmtSpeedup(est([125, null], [100, 100]))).toBe('no ratio: 2 informative pairs (needs 3)')
    expect(fmtSpeedup(est([null, null, 100], [null, null, 80]))).toBe('no ratio: 1 informative pair (needs 3)')
    expect(fmtSpeedup(est([null], [null]))).toBe('n/a: neither arm reached on any seed')
    expect(fmtSpeedup(null)).toBe('(baseline)')
  })
  it('shows durations in readable units and "not reached" for censored runs', () => {
    expect(fmtMs(null)).toBe('not reached')
    expect(fmtMs(850)).toBe('850 ms')
    expect(fmtMs(2500)).toBe('2.50 s')
    expect(fmtMs(27_700)).toBe('27.7 s')
  })
})
