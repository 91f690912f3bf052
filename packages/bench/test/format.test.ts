import { describe, expect, it } from 'vitest'
import { fmtInterval, fmtMs, fmtRatio } from '../src/format.js'

describe('report formatting', () => {
  it('shows censored ratios as 0 and ∞, and no CI for a single seed pair', () => {
    expect(fmtRatio(Number.POSITIVE_INFINITY)).toBe('∞')
    expect(fmtRatio(0)).toBe('0')
    expect(fmtRatio(Number.NaN)).toBe('n/a')
    expect(fmtInterval({ estimate: 1.5, low: 1.2, high: Number.POSITIVE_INFINITY, n: 5 })).toBe('1.50x [1.20, ∞]')
    expect(fmtInterval({ estimate: 0.61, low: 0.61, high: 0.61, n: 1 })).toBe('0.61x (1 seed pair: no CI)')
    expect(fmtInterval({ estimate: Number.NaN, low: Number.NaN, high: Number.NaN, n: 0 })).toBe('n/a: neither reached')
    expect(fmtInterval(null)).toBe('(baseline)')
  })
  it('shows durations in readable units and "not reached" for censored runs', () => {
    expect(fmtMs(null)).toBe('not reached')
    expect(fmtMs(850)).toBe('850 ms')
    expect(fmtMs(2500)).toBe('2.50 s')
    expect(fmtMs(27_700)).toBe('27.7 s')
  })
})
