import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRng } from '@converge/core'
import { adamwStateBytes, OrthogonalOptimizer } from '../src/index.js'
import { gradMap, makeVariables, randomGrads, step } from './helpers.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

// Two hidden matrices (Muon), a conv kernel (flattened, Muon), an embedding and a bias (AdamW).
const SHAPES = { 'a/kernel': [16, 8], 'b/kernel': [8, 24], 'c/kernel': [3, 3, 2, 4], embedding: [10, 16], 'a/bias': [8] }
const F = 4
const MATRIX = 16 * 8 + 8 * 24 + 3 * 3 * 2 * 4 // one float each
const ADAM = 10 * 16 + 8 // two floats each

/** numBytes before/after one applyGradients, with the gradients allocated outside the window. */
function measuredStep(opt: tf.Optimizer, vars: tf.Variable[], values: Record<string, Float32Array>): number {
  const g = gradMap(vars, values)
  const before = tf.memory().numBytes
  opt.applyGradients(g)
  const after = tf.memory().numBytes
  tf.dispose(Object.values(g))
  return after - before
}

describe('optimizer-state bytes', () => {
  for (const [label, config, expected] of [
    ['muon', { learningRate: 0.02 }, (MATRIX + 2 * ADAM) * F],
    ['root (clip, table, moonlight)', { learningRate: 0.02, coefficients: 'root', clipPercentile: 0.9, scale: 'moonlight' }, (MATRIX + 2 * ADAM) * F],
    ['adamw', { learningRate: 0.02, matrixRule: 'adamw' }, 2 * (MATRIX + ADAM) * F],
  ] as const) {
    it(`${label}: the report, the hand count and the numBytes delta of the first step agree; later steps allocate nothing`, () => {
      const vars = makeVariables(SHAPES)
      const opt = new OrthogonalOptimizer(config, vars)
      const rng = createRng('mem')
      expect(measuredStep(opt, vars, randomGrads(vars, rng))).toBe(expected)
      expect(opt.optimizerStateBytes().total).toBe(expected)
      const tensors = tf.memory().numTensors
      for (let i = 0; i < 4; i++) expect(measuredStep(opt, vars, randomGrads(vars, rng))).toBe(0)
      expect(tf.memory().numTensors).toBe(tensors)
      const report = opt.optimizerStateBytes()
      expect(report.peak).toBe(expected)
      opt.dispose()
      expect(tf.memory().numTensors).toBe(tensors - (label === 'adamw' ? 10 : 7))
      expect(opt.optimizerStateBytes()).toEqual(report) // the last report survives dispose
      tf.dispose(vars)
    })
  }

  it('Muon holds half of AdamW’s bytes on the matrices: the ratio for this model', () => {
    const all = Object.values(SHAPES).map((shape) => ({ shape }))
    expect(adamwStateBytes(all)).toBe(2 * (MATRIX + ADAM) * F)
    expect((MATRIX + 2 * ADAM) / (2 * (MATRIX + ADAM))).toBeCloseTo(0.65, 12)
  })

  it('numTensors is flat across steps when the gradients come from a tape', () => {
    const vars = makeVariables({ 'w/kernel': [6, 10], 'w/bias': [10] })
    const x = tf.tensor2d(Float32Array.from({ length: 4 * 6 }, (_, i) => Math.sin(i)), [4, 6])
    const opt = new OrthogonalOptimizer({ learningRate: 0.02, clipPercentile: 0.9 }, vars)
    const lossFn = () => tf.mean(tf.square(tf.add(tf.matMul(x, vars[0] as tf.Variable<tf.Rank.R2>), vars[1]!))) as tf.Scalar
    opt.minimize(lossFn)
    const n = tf.memory().numTensors
    for (let i = 0; i < 5; i++) opt.minimize(lossFn)
    expect(tf.memory().numTensors).toBe(n)
    opt.dispose()
    tf.dispose([x, ...vars])
  })
})
