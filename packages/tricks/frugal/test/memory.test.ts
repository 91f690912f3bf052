import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRng } from '@converge/core'
import { adamStateBytes, FrugalOptimizer, planStateBytes, type Subspace } from '../src/index.js'
import { gradMap, localName, makeVariables, randomGrads } from './helpers.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

// a: 16×8 (right projection), b: 8×24 (left projection); the bias and the head stay on Adam.
const SHAPES = { 'a/kernel': [16, 8], 'b/kernel': [8, 24], 'a/bias': [8], 'output/kernel': [24, 4] }
const F = 4 // bytes per float32 / int32
const REGULAR = 2 * (8 + 96) * F // Adam moments of the bias and the head: 832 bytes

/** Hand-computed persistent state at ρ = 0.25 (blocks: the larger tensor active, the peak). */
const EXPECTED: Record<Subspace, number> = {
  // rank round(0.25·8) = 2 on both: a: m,v 16×2 + basis 8×2; b: m,v 2×24 + basis 8×2
  svd: (2 * 16 * 2 + 8 * 2 + 2 * 2 * 24 + 8 * 2) * F + REGULAR,
  random: (2 * 16 * 2 + 8 * 2 + 2 * 2 * 24 + 8 * 2) * F + REGULAR,
  // a: ⌊0.25·8⌋ = 2 columns, b: ⌊0.25·24⌋ = 6 columns; m,v rows×k plus k int32 indices
  columns: (2 * 16 * 2 + 2 + 2 * 8 * 6 + 6) * F + REGULAR,
  // a: ⌊0.25·128⌋ = 32 entries, b: ⌊0.25·192⌋ = 48; m,v K plus K int32 indices
  randk: (3 * 32 + 3 * 48) * F + REGULAR,
  // round(0.25·2) = 1 tensor active; the peak is when b (192 elements) is
  blocks: 2 * 192 * F + REGULAR,
}

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
  it('Adam: 2 floats per parameter, matching the numBytes delta of tfjs Adam (plus its two β-power scalars)', () => {
    const vars = makeVariables(SHAPES)
    const expected = adamStateBytes(vars.map((v) => ({ name: v.name, shape: v.shape })))
    expect(expected.total).toBe(2 * (128 + 192 + 8 + 96) * F)
    const before = tf.memory().numBytes
    const adam = tf.train.adam(0.01)
    const g = gradMap(vars, randomGrads(vars, createRng('g')))
    const withGrads = tf.memory().numBytes
    adam.applyGradients(g as tf.NamedTensorMap as never)
    const after = tf.memory().numBytes
    expect(withGrads - before).toBe(8 + (128 + 192 + 8 + 96) * F) // β powers + the gradients
    expect(after - withGrads).toBe(expected.total)
    tf.dispose(Object.values(g))
    adam.dispose()
    tf.dispose(vars)
  })

  for (const subspace of ['svd', 'random', 'columns', 'randk'] as const) {
    it(`${subspace}: the analytic count, the plan's formula and the numBytes delta agree, before and after refreshes`, () => {
      const vars = makeVariables(SHAPES)
      const opt = new FrugalOptimizer({ learningRate: 0.01, subspace, density: 0.25, updateGap: 3, seed: 2 }, vars)
      const rng = createRng('mem')
      expect(opt.optimizerStateBytes().total).toBe(0) // nothing allocated before the first step
      const first = measuredStep(opt, vars, randomGrads(vars, rng))
      const report = opt.optimizerStateBytes()
      expect(report.total).toBe(EXPECTED[subspace])
      expect(first).toBe(report.total)
      expect(planStateBytes(opt.plan!).total).toBe(report.total)
      expect(report.moments + report.projectors + report.indices).toBe(report.total)
      expect(report.projectors > 0).toBe(subspace === 'svd' || subspace === 'random')
      expect(report.indices > 0).toBe(subspace === 'columns' || subspace === 'randk')
      // refreshes (steps 3 and 6) replace the state with the same sizes: no growth
      for (let s = 1; s < 8; s++) expect(measuredStep(opt, vars, randomGrads(vars, rng))).toBe(0)
      expect(opt.optimizerStateBytes().peak).toBe(report.total)
      // dispose frees exactly the state, and the report survives for after-run collection
      const beforeDispose = tf.memory().numBytes
      opt.dispose()
      expect(beforeDispose - tf.memory().numBytes).toBe(report.total)
      expect(opt.optimizerStateBytes().total).toBe(report.total)
      tf.dispose(vars)
    })
  }

  it('blocks: bytes follow the active tensor; the peak is the largest active set, as planStateBytes predicts', () => {
    const vars = makeVariables(SHAPES)
    const opt = new FrugalOptimizer({ learningRate: 0.01, subspace: 'blocks', density: 0.25, updateGap: 1, seed: 2 }, vars)
    const rng = createRng('blocks')
    const sizes = { 'a/kernel': 2 * 128 * F, 'b/kernel': 2 * 192 * F }
    let previous = 0
    const actives: string[] = []
    for (let s = 0; s < 12; s++) {
      const delta = measuredStep(opt, vars, randomGrads(vars, rng))
      const active = opt.activeBlocks().map(localName)
      actives.push(active.join())
      expect(active.length).toBe(1)
      const now = REGULAR + sizes[active[0] as keyof typeof sizes]
      expect(opt.optimizerStateBytes().total).toBe(now)
      expect(delta).toBe(now - previous)
      previous = now
    }
    expect(new Set(actives).size).toBe(2) // both tensors were active at some point
    expect(opt.optimizerStateBytes().peak).toBe(EXPECTED.blocks)
    expect(planStateBytes(opt.plan!).total).toBe(EXPECTED.blocks)
    opt.dispose()
    tf.dispose(vars)
  })

  it('ρ = 0 keeps only the always-Adam state', () => {
    const vars = makeVariables(SHAPES)
    const opt = new FrugalOptimizer({ learningRate: 0.01, density: 0, seed: 2 }, vars)
    expect(measuredStep(opt, vars, randomGrads(vars, createRng('z')))).toBe(REGULAR)
    expect(opt.optimizerStateBytes().total).toBe(REGULAR)
    opt.dispose()
    tf.dispose(vars)
  })

  it('the ratio to Adam on a realistic layer: 64×256 svd at ρ = 0.25 keeps 28% of its Adam state', () => {
    const vars = makeVariables({ 'up/kernel': [64, 256] })
    const opt = new FrugalOptimizer({ learningRate: 0.01, density: 0.25, seed: 2 }, vars)
    const ratio = planStateBytes(opt.plan!).total / adamStateBytes(vars).total
    // left side (64 < 256), rank 16: (2·16·256 + 64·16) / (2·64·256)
    expect(ratio).toBeCloseTo((2 * 16 * 256 + 64 * 16) / (2 * 64 * 256), 12)
    expect(ratio).toBeCloseTo(0.28125, 12)
    opt.dispose()
    tf.dispose(vars)
  })
})
