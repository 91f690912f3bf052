import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})
afterAll(() => installWasmKernelFixes())

/** Runs `f` (or `stockF`) with tfjs's stock WASM kernels and `f` with the fixes; both results as plain arrays. */
function stockAndTuned(f: () => tf.Tensor, stockF = f): { stock: number[]; tuned: number[]; shapes: number[][] } {
  uninstallWasmKernelFixes()
  const a = tf.tidy(stockF)
  installWasmKernelFixes()
  const b = tf.tidy(f)
  const out = { stock: Array.from(a.dataSync()), tuned: Array.from(b.dataSync()), shapes: [a.shape, b.shape] }
  tf.dispose([a, b])
  return out
}

const seeded = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed)

describe('tiled matrix transpose and the Sum that uses it', () => {
  const cases: [number[], number[]][] = [
    [[512, 96], [1, 0]],
    [[512, 32], [1, 0]],
    [[17, 33], [1, 0]],
    [[1, 512, 1, 64], [0, 3, 2, 1]],
    [[300, 1, 7], [2, 1, 0]],
    [[4, 16, 96], [0, 2, 1]], // rank 3: the stock kernel
    [[3, 5], [0, 1]],
  ]
  it.each(cases)('transpose of %j by %j is the stock result, element for element', (shape, perm) => {
    const x = seeded(shape, shape.length * 100 + shape[0]!)
    const before = tf.memory().numTensors
    const r = stockAndTuned(() => tf.transpose(x, perm))
    expect(r.shapes[1]).toEqual(r.shapes[0])
    expect(r.tuned).toEqual(r.stock)
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
  })

  it('sums over leading axes (a bias gradient), any axes, keepDims: the stock sums to the bit, and int32 too', () => {
    const x = seeded([512, 96], 7)
    const y = seeded([32, 16, 96], 8)
    const k = tf.tensor2d(Int32Array.from({ length: 64 * 3 }, (_, i) => (i * 7919) % 101 - 50), [64, 3], 'int32')
    const before = tf.memory().numTensors
    for (const f of [() => tf.sum(x, 0), () => tf.sum(x, 1), () => tf.sum(y, [0, 1]), () => tf.sum(y, 1, true), () => tf.sum(y, [0, 2], true), () => tf.sum(k, 0), () => tf.sum(y)]) {
      const r = stockAndTuned(f)
      expect(r.shapes[1]).toEqual(r.shapes[0])
      expect(r.tuned).toEqual(r.stock)
    }
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([x, y, k])
  })

  it('a weight gradient (matmul with transposeA on 512 rows) is the stock transpose followed by the stock matmul, as before', () => {
    const a = seeded([512, 64], 9)
    const b = seeded([512, 32], 10)
    const r = stockAndTuned(() => tf.matMul(a, b, true, false), () => tf.matMul(tf.transpose(a), b))
    expect(r.tuned).toEqual(r.stock)
    tf.dispose([a, b])
  })
})
