import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { aggregateTokens, clipFraction, policyLoss } from '../../src/rl/index.js'
import { useBackend } from '../../src/index.js'

beforeAll(async () => {
  await useBackend('cpu')
})

const value = (t: tf.Tensor): number => {
  const v = t.dataSync()[0] as number
  t.dispose()
  return v
}

describe('policyLoss without old log-probs (one update per batch: REINFORCE with the group baseline)', () => {
  it('is −mean(A · log π) (hand-computed)', () => {
    const logp = tf.tensor1d([-1, -2, -0.5])
    // terms: −1·(−1) = 1, −(−0.5)·(−2) = −1, −2·(−0.5) = 1 → mean 1/3
    expect(value(policyLoss({ logProbs: logp, advantages: Float32Array.of(1, -0.5, 2) }))).toBeCloseTo(1 / 3, 6)
    logp.dispose()
  })
  it('has the gradient of the clipped surrogate at ratio 1', () => {
    const theta = tf.variable(tf.tensor1d([-1, -2, -0.5]))
    const adv = Float32Array.of(1, -0.5, 2)
    const old = tf.tensor1d([-1, -2, -0.5])
    const gPlain = tf.grad((x: tf.Tensor) => policyLoss({ logProbs: x, advantages: adv }))(theta)
    const gClip = tf.grad((x: tf.Tensor) => policyLoss({ logProbs: x, oldLogProbs: old, advantages: adv }))(theta)
    // d/dlogp of −A·ρ at ρ = 1 is −A / N
    expect(Array.from(gPlain.dataSync())).toEqual(Array.from(gClip.dataSync()))
    Array.from(gPlain.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(-(adv[i] as number) / 3, 6))
    tf.dispose([theta, old, gPlain, gClip])
  })
})

describe('policyLoss with old log-probs (clipped surrogate)', () => {
  const old = [-1, -1, -1, -1]
  const ratios = [1.5, 0.5, 1.5, 1.1]
  const adv = Float32Array.of(2, -1, -1, 1)
  it('takes the pessimistic branch per token (hand-computed, ε = 0.2)', () => {
    const logp = tf.tensor1d(old.map((o, i) => o + Math.log(ratios[i] as number)))
    const oldT = tf.tensor1d(old)
    // A>0, ρ=1.5: max(−3, −2.4) = −2.4 ; A<0, ρ=0.5: max(0.5, 0.8) = 0.8 ;
    // A<0, ρ=1.5: max(1.5, 1.2) = 1.5 ; A>0, ρ=1.1 (inside): −1.1  → mean −0.3
    expect(value(policyLoss({ logProbs: logp, oldLogProbs: oldT, advantages: adv }))).toBeCloseTo(-0.3, 5)
    expect(value(clipFraction(logp, oldT, adv))).toBeCloseTo(0.5, 6) // tokens 0 and 1 are clipped
    tf.dispose([logp, oldT])
  })
  it('passes no gradient through clipped tokens', () => {
    const theta = tf.variable(tf.tensor1d(old.map((o, i) => o + Math.log(ratios[i] as number))))
    const oldT = tf.tensor1d(old)
    const g = tf.grad((x: tf.Tensor) => policyLoss({ logProbs: x, oldLogProbs: oldT, advantages: adv }))(theta).dataSync()
    expect(g[0]).toBe(0)
    expect(g[1]).toBe(0)
    expect(g[2]).toBeCloseTo((1 * 1.5) / 4, 5) // −A·ρ / N with A = −1
    expect(g[3]).toBeCloseTo((-1 * 1.1) / 4, 5)
    tf.dispose([theta, oldT])
  })
  it('supports an asymmetric upper clip', () => {
    const logp = tf.tensor1d([Math.log(1.5)])
    const oldT = tf.tensor1d([0])
    expect(value(policyLoss({ logProbs: logp, oldLogProbs: oldT, advantages: Float32Array.of(1) }, { clipRatioHigh: 0.28 }))).toBeCloseTo(-1.28, 5)
    tf.dispose([logp, oldT])
  })
  it('rejects advantages of the wrong length', () => {
    const logp = tf.tensor1d([-1, -1])
    expect(() => policyLoss({ logProbs: logp, advantages: Float32Array.of(1) })).toThrow(/1 entries for 2 responses/)
    logp.dispose()
  })
})

describe('token aggregation', () => {
  // two responses: 3 tokens [1, 2, 3] and 1 token [4] (padding masked)
  const terms = () => tf.tensor2d([[1, 2, 3], [4, 99, 99]])
  const mask = () => tf.tensor2d([[1, 1, 1], [1, 0, 0]])
  it('token-mean averages over all response tokens', () => {
    const [t, m] = [terms(), mask()]
    expect(value(aggregateTokens(t, m, 'token-mean'))).toBeCloseTo(10 / 4, 6)
    tf.dispose([t, m])
  })
  it('sequence-mean averages per response first', () => {
    const [t, m] = [terms(), mask()]
    expect(value(aggregateTokens(t, m, 'sequence-mean'))).toBeCloseTo((2 + 4) / 2, 6)
    tf.dispose([t, m])
  })
  it('token-sum-norm divides the token sum by responses × max length', () => {
    const [t, m] = [terms(), mask()]
    expect(value(aggregateTokens(t, m, 'token-sum-norm'))).toBeCloseTo(10 / 6, 6)
    tf.dispose([t, m])
  })
  it('all coincide for one token per response', () => {
    const t = tf.tensor1d([1, 2, 6])
    for (const a of ['token-mean', 'sequence-mean', 'token-sum-norm'] as const) expect(value(aggregateTokens(t, null, a))).toBeCloseTo(3, 6)
    t.dispose()
  })
})
