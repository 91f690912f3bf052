import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { k3, k3Tensor, klPenalty } from '../../src/rl/index.js'
import { useBackend } from '../../src/index.js'

beforeAll(async () => {
  await useBackend('cpu')
})

describe('k3 KL estimator', () => {
  it('matches exp(k) − k − 1 with k = log π_ref − log π (hand-computed)', () => {
    // π = 0.5, π_ref = 0.25: k = log 0.5 → 0.5 + 0.693147 − 1
    expect(k3(Math.log(0.5), Math.log(0.25))).toBeCloseTo(0.1931472, 6)
    expect(k3(-1.3, -1.3)).toBe(0)
  })
  it('is non-negative and clamped at 10', () => {
    expect(k3(-25, -5)).toBe(10) // exp(20) − 21 ≫ 10
    for (const [a, b] of [[-1, -3], [-3, -1], [-0.1, -0.2]] as const) expect(k3(a, b)).toBeGreaterThanOrEqual(0)
  })
  it('agrees elementwise between the tensor and the number forms', () => {
    const logp = [Math.log(0.5), -3, -25, -1]
    const ref = [Math.log(0.25), -1, -5, -1]
    const t = k3Tensor(tf.tensor1d(logp), tf.tensor1d(ref))
    Array.from(t.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(k3(logp[i] as number, ref[i] as number), 4))
    t.dispose()
  })
  it('klPenalty is coef × the token mean', () => {
    const logp = tf.tensor1d([Math.log(0.5), -1])
    const ref = tf.tensor1d([Math.log(0.25), -1])
    const p = klPenalty(logp, ref, 0.1)
    expect(p.dataSync()[0]).toBeCloseTo((0.1 * 0.1931472) / 2, 6)
    expect(() => klPenalty(logp, ref, -1)).toThrow(/non-negative/)
    tf.dispose([logp, ref, p])
  })
})
