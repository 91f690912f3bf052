import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOptimizer, useBackend } from '../../src/index.js'
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { normalInput } from './kernel-check.js'

// Identity on tuned WASM shares its input's buffer (reference counted) instead of copying it.

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})
afterAll(() => installWasmKernelFixes())

const wasmIds = () => tf.engine().registry.wasm!.numDataIds()

describe('Identity shares the buffer', () => {
  it('a clone reads the same values, outlives its source, and frees the buffer with the last reference', () => {
    const baseline = wasmIds()
    const x = tf.tensor(normalInput('identity x', [5, 7]).values, [5, 7])
    const values = Array.from(x.dataSync())
    const y = tf.clone(x)
    expect(wasmIds()).toBe(baseline + 1) // one buffer, two tensors
    x.dispose()
    expect(Array.from(y.dataSync())).toEqual(values)
    y.dispose()
    expect(wasmIds()).toBe(baseline)
  })

  it('int32 and bool tensors too', () => {
    const i = tf.tensor1d([3, -1, 7], 'int32')
    const b = tf.tensor1d([true, false, true], 'bool')
    expect(Array.from(tf.clone(i).dataSync())).toEqual([3, -1, 7])
    expect(Array.from(tf.clone(b).dataSync())).toEqual([1, 0, 1])
    tf.dispose([i, b])
  })

  it('a clone of an Adam moment keeps its values while the one-loop Adam updates the moment in place', () => {
    const w = tf.variable(tf.tensor(normalInput('identity w', [4, 3]).values, [4, 3]))
    const opt = createOptimizer({ name: 'adam', learningRate: 0.1 })
    const step = () => opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar, false, [w])
    step()
    const moment = (opt as unknown as { accumulatedFirstMoment: { variable: tf.Variable }[] }).accumulatedFirstMoment[0]!.variable
    const kept = tf.clone(moment)
    const snapshot = Array.from(kept.dataSync())
    step()
    expect(Array.from(kept.dataSync())).toEqual(snapshot)
    expect(Array.from(moment.dataSync())).not.toEqual(snapshot)
    tf.dispose([kept, w])
    opt.dispose()
  })
})

/** 12 Adam steps of a small two-layer network with layer norm; losses, weights, and WASM buffer counts after each step. */
function train(): { losses: number[]; weights: number[][]; ids: number[] } {
  const v = (seed: string, shape: number[], scale: number) => {
    const t = tf.tensor(normalInput(seed, shape, scale).values, shape)
    const out = tf.variable(t)
    t.dispose()
    return out
  }
  const w1 = v('id w1', [16, 32], 0.3)
  const b1 = v('id b1', [32], 0.1)
  const w2 = v('id w2', [32, 4], 0.3)
  const x = tf.tensor(normalInput('id x', [64, 16]).values, [64, 16])
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from({ length: 64 }, (_, i) => i % 4), 'int32'), 4).toFloat())
  const opt = createOptimizer({ name: 'adam', learningRate: 1e-2 })
  const losses: number[] = []
  const ids: number[] = []
  for (let i = 0; i < 12; i++) {
    const loss = opt.minimize(() => {
      const h = tf.add(tf.matMul(x, w1), b1)
      const { mean, variance } = tf.moments(h, -1, true)
      const n = tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5)))
      return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.tanh(n), w2)) as tf.Scalar
    }, true, [w1, b1, w2])!
    losses.push(loss.dataSync()[0]!)
    loss.dispose()
    ids.push(wasmIds())
  }
  const weights = [w1, b1, w2].map((t) => Array.from(t.dataSync()))
  opt.dispose()
  tf.dispose([w1, b1, w2, x, y])
  return { losses, weights, ids }
}

/** Trains with tfjs's stock (copying) `kernel` in place of the shared one: the same losses and weights to the bit. */
function expectSameTrainingAsCopying(kernel: 'Identity' | 'Cast'): ReturnType<typeof train> {
  const shared = train()
  const sharing = tf.getKernel(kernel, 'wasm')!
  uninstallWasmKernelFixes()
  const copying = tf.getKernel(kernel, 'wasm')!
  installWasmKernelFixes()
  tf.unregisterKernel(kernel, 'wasm')
  tf.registerKernel(copying)
  try {
    const copied = train()
    expect(shared.losses).toEqual(copied.losses)
    expect(shared.weights).toEqual(copied.weights)
  } finally {
    tf.unregisterKernel(kernel, 'wasm')
    tf.registerKernel(sharing)
  }
  return shared
}

describe('training with the shared Identity', () => {
  it("gives the copying Identity's losses and weights to the bit, and WASM buffers stay flat", () => {
    const shared = expectSameTrainingAsCopying('Identity')
    expect(new Set(shared.ids.slice(1)).size).toBe(1)
  })
})

describe('Cast to the same dtype shares the buffer', () => {
  it('float32 → float32 and int32 → int32 share; a real conversion copies and converts', () => {
    const baseline = wasmIds()
    const x = tf.tensor(normalInput('cast x', [3, 4]).values, [3, 4])
    const i = tf.tensor1d([2, -5, 9], 'int32')
    const same = tf.cast(x, 'float32')
    const sameInt = tf.cast(i, 'int32')
    expect(wasmIds()).toBe(baseline + 2) // x and i only
    const converted = tf.cast(i, 'float32')
    const truncated = tf.tidy(() => tf.cast(tf.tensor1d([1.7, -2.2]), 'int32'))
    expect(converted.dtype).toBe('float32')
    expect(Array.from(converted.dataSync())).toEqual([2, -5, 9])
    expect(Array.from(truncated.dataSync())).toEqual([1, -2])
    const values = Array.from(x.dataSync())
    x.dispose()
    expect(Array.from(same.dataSync())).toEqual(values)
    expect(Array.from(sameInt.dataSync())).toEqual([2, -5, 9])
    tf.dispose([i, same, sameInt, converted, truncated])
    expect(wasmIds()).toBe(baseline)
  })

  it("training gives the copying Cast's losses and weights to the bit", () => {
    expectSameTrainingAsCopying('Cast')
  })
})
