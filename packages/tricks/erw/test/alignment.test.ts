import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { alignmentLoss, alignmentWeightAt } from '../src/index.js'

const value = (t: tf.Scalar) => {
  const v = t.dataSync()[0]!
  t.dispose()
  return v
}

describe('alignment loss', () => {
  it('is −1 when the projection equals the target (any positive scale), +1 when opposite, in [−1, 1] otherwise', () => {
    const target = tf.randomNormal([3, 5, 4], 0, 1, 'float32', 1) as tf.Tensor3D
    expect(value(alignmentLoss(target, target))).toBeCloseTo(-1, 5)
    const scaled = tf.mul(target, 7) as tf.Tensor3D
    expect(value(alignmentLoss(scaled, target))).toBeCloseTo(-1, 5)
    const opposite = tf.neg(target) as tf.Tensor3D
    expect(value(alignmentLoss(opposite, target))).toBeCloseTo(1, 5)
    for (let seed = 2; seed < 6; seed++) {
      const other = tf.randomNormal([3, 5, 4], 0, 1, 'float32', seed) as tf.Tensor3D
      const v = value(alignmentLoss(other, target))
      expect(v).toBeGreaterThanOrEqual(-1)
      expect(v).toBeLessThanOrEqual(1)
      other.dispose()
    }
    tf.dispose([target, scaled, opposite])
  })

  it('averages every sample (not only the last one)', () => {
    // sample 0 aligned (cos 1), sample 1 orthogonal (cos 0): mean −0.5; the last-sample bug gives 0
    const target = tf.tensor3d([[[1, 0]], [[1, 0]]])
    const projected = tf.tensor3d([[[2, 0]], [[0, 3]]])
    expect(value(alignmentLoss(projected, target))).toBeCloseTo(-0.5, 6)
    // and per token within a sample: tokens (1, 0) and (0, 1) against (1, 0) twice
    const t2 = tf.tensor3d([[[1, 0], [1, 0]]])
    const p2 = tf.tensor3d([[[1, 0], [0, 1]]])
    expect(value(alignmentLoss(p2, t2))).toBeCloseTo(-0.5, 6)
    tf.dispose([target, projected, t2, p2])
  })

  it('treats a zero vector as cos 0 (normalise with a floor, no NaN)', () => {
    const target = tf.tensor3d([[[1, 0]]])
    const zero = tf.tensor3d([[[0, 0]]])
    expect(Math.abs(value(alignmentLoss(zero, target)))).toBe(0)
    tf.dispose([target, zero])
  })

  it('rejects mismatched shapes', () => {
    const a = tf.zeros([1, 2, 3]) as tf.Tensor3D
    const b = tf.zeros([1, 3, 3]) as tf.Tensor3D
    expect(() => alignmentLoss(a, b)).toThrow(/same shape/)
    tf.dispose([a, b])
  })
})

describe('alignment weight λ(s)', () => {
  it('constant for REPA; c0·2^(−s/h) for ERW', () => {
    expect(alignmentWeightAt({ kind: 'constant', value: 0.5 }, 0)).toBe(0.5)
    expect(alignmentWeightAt({ kind: 'constant', value: 0.5 }, 10_000)).toBe(0.5)
    const erw = { kind: 'halving' as const, c0: 6, halfLife: 50_000 }
    expect(alignmentWeightAt(erw, 0)).toBe(6)
    expect(alignmentWeightAt(erw, 50_000)).toBeCloseTo(3, 12)
    expect(alignmentWeightAt(erw, 100_000)).toBeCloseTo(1.5, 12)
    expect(alignmentWeightAt(erw, 25_000)).toBeCloseTo(6 / Math.SQRT2, 12)
    expect(() => alignmentWeightAt(erw, -1)).toThrow(/≥ 0/)
    // a half-life given as a fraction of the main phase resolves against its length
    const fractional = { kind: 'halving' as const, c0: 1, halfLife: { fraction: 0.25 } }
    expect(alignmentWeightAt(fractional, 100, 400)).toBeCloseTo(0.5, 12)
    expect(() => alignmentWeightAt(fractional, 100)).toThrow(/step budget/)
  })
})
