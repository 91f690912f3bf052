import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { installWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { SIGN_ZERO_BELOW } from '../../src/backends/wasm-sign.js'
import { bits, expectStockBits, expectStockResults, mixed, stockAndTuned } from './kernel-check.js'

// Sign as a SIMD kernel (wasm-sign.ts) compared bit for bit with tfjs's stock WASM kernel, whose
// results differ from Math.sign: 0 below 2⁻²³ in magnitude and for NaN.

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})
afterAll(() => installWasmKernelFixes())

describe('Sign equals the stock WASM Sign', () => {
  const e = SIGN_ZERO_BELOW
  const above = Math.fround(e * (1 + 2 ** -23))
  const below = Math.fround(e * (1 - 2 ** -24))
  const edges = [Number.NaN, -0, 0, e, -e, above, -above, below, -below, 1e-45, -1e-45, 1e-10, -1e-10, 0.5, -0.5, 3, -3, Infinity, -Infinity]

  it('at the edges: NaN, signed zeros, ±2⁻²³ and its neighbours, subnormals, infinities', () => {
    const x = tf.tensor1d(edges)
    const { stock, tuned } = stockAndTuned(() => tf.sign(x))
    expect(bits(tuned)).toEqual(bits(stock))
    expect(Array.from(tuned.dataSync()).slice(0, 9)).toEqual([0, 0, 0, 1, -1, 1, -1, 0, 0])
    tf.dispose([x, stock, tuned])
  })

  for (const [label, shape] of [['mixed magnitudes, 37 × 29 (a scalar tail)', [37, 29]], ['three elements (the tail alone)', [3]], ['a scalar', []]] as const) {
    it(label, () => {
      const x = mixed(label, [...shape])
      expectStockBits(() => tf.sign(x))
      x.dispose()
    })
  }

  it('int32 and empty tensors give the stock results', () => {
    expectStockResults([
      ['int32', () => tf.sign(tf.tensor1d([-3, 0, 5], 'int32'))],
      ['empty', () => tf.sign(tf.zeros([0, 4]))],
    ])
  })
})
