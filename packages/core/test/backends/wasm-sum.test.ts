import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { MIN_COLUMNS } from '../../src/backends/wasm-sum.js'
import { mixed, normalInput, stockAndTuned } from './kernel-check.js'

// Sum over leading axes as JS column sums (wasm-sum.ts): compared bit for bit with tfjs's stock
// WASM Sum on inputs whose float32 sums depend on the order of addition.

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})
afterAll(() => installWasmKernelFixes())

describe('Sum over leading axes equals the stock WASM Sum to the bit', () => {
  const cases: [string, number[], number | number[], boolean][] = [
    ['bias gradient [512, 64], axis 0', [512, 64], 0, false],
    ['NHWC bias gradient, axes 0-2', [8, 14, 14, 16], [0, 1, 2], false],
    ['negative axes', [6, 5, 7], [-3, -2], false],
    ['leading axes given out of order (summed in the stock order, not as columns)', [6, 5, 7], [1, -3], false],
    ['keepDims', [9, 4, 3], [0, 1], true],
    ['a size-1 leading axis', [1, 33], 0, false],
    ['one column (below MIN_COLUMNS: the transposing path)', [300, 1], 0, false],
    ['exactly MIN_COLUMNS columns', [77, MIN_COLUMNS], 0, false],
    ['21 columns: lane groups of 16 and 4, then a scalar column', [8, 14, 14, 21], [0, 1, 2], false],
  ]
  for (const [label, shape, axis, keepDims] of cases) {
    it(label, () => {
      const x = mixed(label, shape)
      const before = tf.memory().numTensors
      const { stock, tuned } = stockAndTuned(() => tf.sum(x, axis, keepDims))
      expect(tuned.shape).toEqual(stock.shape)
      expect(Array.from(tuned.dataSync())).toEqual(Array.from(stock.dataSync()))
      tf.dispose([stock, tuned])
      expect(tf.memory().numTensors).toBe(before)
      x.dispose()
    })
  }

  it('negative zeros sum to +0, as in the stock kernel', () => {
    const x = tf.tensor2d([-0, -0, -0, -0], [2, 2])
    const { stock, tuned } = stockAndTuned(() => tf.sum(x, 0))
    expect(Array.from(tuned.dataSync()).map((v) => Object.is(v, -0))).toEqual(Array.from(stock.dataSync()).map((v) => Object.is(v, -0)))
    tf.dispose([x, stock, tuned])
  })

  it("a bias's gradient through tf.add broadcasting is the stock one", () => {
    const x = mixed('broadcast x', [64, 32])
    const b = mixed('broadcast b', [32])
    const { stock, tuned } = stockAndTuned(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.add(x, v), x)))(b))
    expect(Array.from(tuned.dataSync())).toEqual(Array.from(stock.dataSync()))
    tf.dispose([x, b, stock, tuned])
  })
})
