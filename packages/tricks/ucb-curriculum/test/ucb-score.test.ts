import { describe, expect, it } from 'vitest'
import { AbsAdvantageWindow, softmaxProbabilities, ucbSamplingProbabilities, ucbScores } from '../src/index.js'

describe('ucbScores', () => {
  it('matches hand-computed values: mean|A| + c·sqrt(2 ln(N + 1) / (n + 1)), N = Σ n', () => {
    // N = 40: sqrt(2 ln 41 / 11) = 0.8217025, sqrt(2 ln 41 / 31) = 0.4894745
    const s = ucbScores([{ meanAbsAdvantage: 0.5, count: 10 }, { meanAbsAdvantage: 0.2, count: 30 }], 1)
    expect(s[0]).toBeCloseTo(1.3217025, 6)
    expect(s[1]).toBeCloseTo(0.6894745, 6)
  })
  it('scales the bonus by the exploration weight c', () => {
    const s = ucbScores([{ meanAbsAdvantage: 0.5, count: 10 }, { meanAbsAdvantage: 0.2, count: 30 }], 0.5)
    expect(s[0]).toBeCloseTo(0.5 + 0.4108512, 6)
    expect(ucbScores([{ meanAbsAdvantage: 0.3, count: 5 }], 0)).toEqual([0.3])
  })
  it('uses N = max(1, Σ n): with no data every source gets sqrt(2 ln 2)', () => {
    const s = ucbScores([{ meanAbsAdvantage: 0, count: 0 }, { meanAbsAdvantage: 0, count: 0 }], 1)
    expect(s[0]).toBeCloseTo(1.1774100, 6)
    expect(s[1]).toBe(s[0])
  })
  it('rejects negative weights and counts', () => {
    expect(() => ucbScores([{ meanAbsAdvantage: 0, count: 1 }], -1)).toThrow(/non-negative/)
    expect(() => ucbScores([{ meanAbsAdvantage: 0, count: -1 }], 1)).toThrow(/non-negative/)
  })
})

describe('softmax probabilities', () => {
  it('matches hand-computed values at τ = 0.1 and τ = 1', () => {
    const scores = [1.3217025, 0.6894745]
    const p = softmaxProbabilities(scores, 0.1)
    expect(p[0]).toBeCloseTo(0.9982074, 6)
    expect(p[1]).toBeCloseTo(0.0017926, 6)
    const q = softmaxProbabilities(scores, 1)
    expect(q[0]).toBeCloseTo(0.6529945, 6)
  })
  it('subtracts the max, so large scores do not overflow', () => {
    const p = softmaxProbabilities([1000, 1001], 0.1)
    expect(p.every(Number.isFinite)).toBe(true)
    expect(p[1]! / p[0]!).toBeCloseTo(Math.exp(10), 0)
    expect(p[0]! + p[1]!).toBeCloseTo(1, 12)
  })
  it('rejects a non-positive temperature', () => {
    expect(() => softmaxProbabilities([1], 0)).toThrow(/temperature must be positive/)
  })
})

describe('ucbSamplingProbabilities', () => {
  it('explores a source never fed: its bonus dominates', () => {
    // seen: 0.9 + sqrt(2 ln 1001 / 1001) = 1.0175 ; unseen: 0 + sqrt(2 ln 1001) = 3.7172
    const p = ucbSamplingProbabilities([{ meanAbsAdvantage: 0.9, count: 1000 }, { meanAbsAdvantage: 0, count: 0 }], { exploration: 1, temperature: 0.1 })
    expect(p[1]).toBeGreaterThan(0.999)
  })
  it('is uniform while nothing has been fed', () => {
    const p = ucbSamplingProbabilities([0, 0, 0].map(() => ({ meanAbsAdvantage: 0, count: 0 })), { exploration: 1, temperature: 0.1 })
    p.forEach((v) => expect(v).toBeCloseTo(1 / 3, 12))
  })
})

describe('AbsAdvantageWindow', () => {
  it('keeps the last `size` |advantage| values and counts every response', () => {
    const w = new AbsAdvantageWindow(3)
    expect(w.mean).toBe(0)
    w.push([1, -2])
    expect(w.values()).toEqual([1, 2])
    expect(w.mean).toBe(1.5)
    w.push([3, -4])
    expect(w.values()).toEqual([2, 3, 4])
    expect(w.mean).toBe(3)
    expect(w.count).toBe(4)
    expect(w.length).toBe(3)
  })
  it('takes |·| per response before averaging (a group’s signed advantages sum to zero)', () => {
    const w = new AbsAdvantageWindow(300)
    w.push([1.5, -0.5, -0.5, -0.5])
    expect(w.mean).toBe(0.75)
  })
  it('round-trips its state, oldest value first', () => {
    const w = new AbsAdvantageWindow(3)
    w.push([1, 2, 3, 4, 5])
    const v = new AbsAdvantageWindow(3)
    v.loadState(JSON.parse(JSON.stringify(w.state())))
    expect(v.values()).toEqual([3, 4, 5])
    expect(v.count).toBe(5)
    v.push([6])
    expect(v.values()).toEqual([4, 5, 6])
    expect(() => new AbsAdvantageWindow(2).loadState({ values: [1, 2, 3], count: 3 })).toThrow(/3 values for a window of 2/)
  })
  it('rejects non-finite advantages and bad sizes', () => {
    expect(() => new AbsAdvantageWindow(3).push([Number.NaN])).toThrow(/finite/)
    expect(() => new AbsAdvantageWindow(0)).toThrow(/positive integer/)
  })
})
