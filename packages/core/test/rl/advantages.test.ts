import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/index.js'
import { createAdvantageEstimator, EmaScale, groupCentred, groupMeans, groupStds, groupZScores } from '../../src/rl/index.js'

const close = (got: ArrayLike<number>, want: readonly number[], digits = 5) => {
  expect(got.length).toBe(want.length)
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits))
}

describe('group statistics', () => {
  it('computes means and Bessel standard deviations per group (prompt-major layout)', () => {
    const r = [1, 0, 0, 0, 1, 1, 0, 0]
    close(groupMeans(r, 4), [0.25, 0.5])
    // sqrt((0.75² + 3·0.25²) / 3) = 0.5 ; sqrt(4·0.25 / 3) = 0.57735
    close(groupStds(r, 4), [0.5, Math.sqrt(1 / 3)])
  })
  it('rejects a layout whose length is not a multiple of the group size', () => {
    expect(() => groupMeans([1, 0, 1], 2)).toThrow(/not a multiple of groupSize 2/)
    expect(() => groupMeans([1, 0], 0)).toThrow(/positive integer/)
  })
})

describe('GRPO z-score advantages', () => {
  it('matches hand-computed values', () => {
    // group 1: (1 − 0.25)/0.5 = 1.5, (0 − 0.25)/0.5 = −0.5; group 2: ±0.5/0.57735 = ±0.86603
    close(groupZScores([1, 0, 0, 0, 1, 1, 0, 0], 4, 0), [1.5, -0.5, -0.5, -0.5, 0.86603, 0.86603, -0.86603, -0.86603])
  })
  it('adds eps to the divisor', () => {
    close(groupZScores([1, 0], 2, 1), [0.5 / (Math.SQRT1_2 + 1), -0.5 / (Math.SQRT1_2 + 1)], 6)
  })
  it('gives exactly zero advantage to all-equal groups', () => {
    const a = groupZScores([1, 1, 1, 1, 0, 0, 0, 0], 4)
    expect(Array.from(a)).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
  })
  it('gives a group of one zero advantage (no baseline but itself)', () => {
    expect(Array.from(groupZScores([1, 0, 1], 1))).toEqual([0, 0, 0])
    expect(Array.from(groupCentred([1, 0, 1], 1))).toEqual([0, 0, 0])
  })
  it('is invariant to a positive affine map of the rewards (up to eps)', () => {
    const r = [1, 0, 1, 1, 0, 0, 0, 1]
    const mapped = r.map((x) => 3 * x - 2)
    const a = groupZScores(r, 4, 0)
    close(groupZScores(mapped, 4, 0), Array.from(a), 6)
  })
})

describe('mean-only and fixed-scale advantages', () => {
  it('centre on the group mean and divide by the scale', () => {
    close(groupCentred([1, 0, 0, 0, 1, 1, 0, 0], 4), [0.75, -0.25, -0.25, -0.25, 0.5, 0.5, -0.5, -0.5])
    close(groupCentred([1, 0], 2, 4), [0.125, -0.125])
    expect(() => groupCentred([1, 0], 2, 0)).toThrow(/scale must be positive/)
  })
})

describe('EmaScale', () => {
  it('is a bias-corrected EMA (hand-computed, decay 0.5)', () => {
    const e = new EmaScale(0.5, 7)
    expect(e.value).toBe(7) // initial, before any observation
    e.observeValue(2)
    expect(e.value).toBeCloseTo(2, 12) // m = 1, /(1 − 0.5)
    e.observeValue(4)
    expect(e.value).toBeCloseTo(2.5 / 0.75, 12) // m = 0.5·1 + 0.5·4
  })
  it('folds in the mean std of the groups with spread, and skips batches without any', () => {
    const e = new EmaScale(0.9)
    expect(e.observe([1, 1, 0, 0], 2)).toBe(false)
    expect(e.count).toBe(0)
    expect(e.observe([1, 0, 1, 1, 1, 0, 0, 0], 2)).toBe(true) // groups: std √½, 0, √½, 0 → mean over spread: √½
    expect(e.value).toBeCloseTo(Math.SQRT1_2, 6)
  })
  it('round-trips its state', () => {
    const e = new EmaScale(0.8)
    e.observeValue(3)
    e.observeValue(1)
    const f = new EmaScale(0.8)
    f.loadState(JSON.parse(JSON.stringify(e.state())))
    expect(f.value).toBe(e.value)
  })
})

describe('createAdvantageEstimator', () => {
  const r = [1, 0, 0, 0, 1, 1, 0, 0]
  it('defaults to GRPO z-scores with eps 1e-6', () => {
    close(createAdvantageEstimator().compute(r, 4), Array.from(groupZScores(r, 4, 1e-6)), 7)
  })
  it('supports mean-only and fixed scales', () => {
    close(createAdvantageEstimator({ normalize: 'group-mean' }).compute(r, 4), Array.from(groupCentred(r, 4)))
    close(createAdvantageEstimator({ normalize: 'fixed', scale: 2 }).compute(r, 4), Array.from(groupCentred(r, 4, 2)))
  })
  it('ema-std divides by the running scale, updated with the batch first', () => {
    const est = createAdvantageEstimator({ normalize: 'ema-std', emaDecay: 0.5, eps: 0 })
    // stds with spread: 0.5 and 0.57735 → batch value 0.538675; the first observation is the value itself
    const s = (0.5 + Math.sqrt(1 / 3)) / 2
    close(est.compute(r, 4), Array.from(groupCentred(r, 4, s)))
    expect(est.emaScale).toBeCloseTo(s, 6)
    expect(createAdvantageEstimator().emaScale).toBeNaN()
  })
  it('names a bad option', () => {
    expect(() => createAdvantageEstimator({ normalize: 'z' as never })).toThrow(ConfigError)
    expect(() => createAdvantageEstimator({ scale: -1 })).toThrow(/scale: got -1/)
  })
})
