import { describe, expect, it } from 'vitest'
import { AppealVerifier, applyRewardChannel, isCleanChannel, parseRewardChannel } from '../../src/rl/index.js'
import { ConfigError, createRng } from '../../src/index.js'

const rate = (values: Float32Array, where: (i: number) => boolean): number => {
  let n = 0
  let ones = 0
  values.forEach((v, i) => {
    if (!where(i)) return
    n++
    ones += v
  })
  return ones / n
}

describe('reward channel', () => {
  it('passes rewards through unchanged without noise', () => {
    const clean = Float32Array.of(1, 0, 1, 0)
    const c = parseRewardChannel()
    expect(isCleanChannel(c)).toBe(true)
    expect(Array.from(applyRewardChannel(clean, c, createRng('x')))).toEqual([1, 0, 1, 0])
  })
  it('flips negatives with the false-positive rate and positives with the false-negative rate', () => {
    const n = 20000
    const clean = Float32Array.from({ length: n }, (_, i) => i % 2)
    const observed = applyRewardChannel(clean, parseRewardChannel({ falsePositive: 0.1, falseNegative: 0.3 }), createRng('channel'))
    expect(rate(observed, (i) => clean[i] === 0)).toBeCloseTo(0.1, 1.7) // ±0.01
    expect(1 - rate(observed, (i) => clean[i] === 1)).toBeCloseTo(0.3, 1.7)
  })
  it('accepts hackable wrong answers with their own probability', () => {
    const n = 20000
    const clean = new Float32Array(n)
    const hackable = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0))
    const observed = applyRewardChannel(clean, parseRewardChannel({ falsePositive: 0.05, hackAcceptance: 0.6 }), createRng('hack'), hackable)
    expect(rate(observed, (i) => hackable[i] === 1)).toBeCloseTo(0.6, 1.7)
    expect(rate(observed, (i) => hackable[i] === 0)).toBeCloseTo(0.05, 1.7)
  })
  it('draws one number per response whatever the rewards (streams stay aligned across arms)', () => {
    const c = parseRewardChannel({ falsePositive: 0.2, falseNegative: 0.2 })
    const a = createRng('s')
    const b = createRng('s')
    applyRewardChannel(Float32Array.of(1, 1, 1), c, a)
    applyRewardChannel(Float32Array.of(0, 0, 0), c, b)
    expect(a.next()).toBe(b.next())
  })
  it('rejects rates that leave no signal and non-binary rewards', () => {
    expect(() => parseRewardChannel({ falsePositive: 0.6, falseNegative: 0.4 })).toThrow(ConfigError)
    expect(() => parseRewardChannel({ falsePositive: 0.6, falseNegative: 0.4 })).toThrow(/must be below 1/)
    expect(() => applyRewardChannel(Float32Array.of(0.5), parseRewardChannel(), createRng('x'))).toThrow(/0 or 1, got 0.5 at index 0/)
  })
})

describe('appeal verifier', () => {
  it('judges chosen responses with its own rates and counts every call', () => {
    const n = 10000
    const clean = Float32Array.from({ length: n }, (_, i) => i % 2)
    const v = new AppealVerifier({ truePositiveRate: 0.9, falsePositiveRate: 0.02 }, createRng('appeal'))
    const idx = Array.from({ length: n }, (_, i) => i)
    const verdicts = v.judge(clean, idx)
    expect(v.calls).toBe(n)
    expect(rate(verdicts, (i) => clean[i] === 1)).toBeCloseTo(0.9, 1.7)
    expect(rate(verdicts, (i) => clean[i] === 0)).toBeCloseTo(0.02, 1.7)
    v.judge(clean, [3, 5])
    expect(v.calls).toBe(n + 2)
  })
  it('is exact with the default rates, keeps the order of indices, and rejects bad indices', () => {
    const v = new AppealVerifier({}, createRng('a'))
    expect(Array.from(v.judge(Float32Array.of(1, 0, 1), [2, 1, 0]))).toEqual([1, 0, 1])
    expect(() => v.judge(Float32Array.of(1, 0), [2])).toThrow(/outside \[0, 2\)/)
  })
})
