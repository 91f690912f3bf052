import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { installWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { collapseBroadcast } from '../../src/backends/wasm-binary-ops.js'
import { bits, expectStockBits, mixed, stockAndTuned } from './kernel-check.js'

// Add, Sub, Multiply and RealDiv as SIMD kernels (wasm-binary-ops.ts) compared bit for bit with
// tfjs's stock WASM kernels, over the broadcasts the models use and odd ones.

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})
afterAll(() => installWasmKernelFixes())

const OPS = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, minimum: tf.minimum, maximum: tf.maximum } as const

describe('binary ops equal the stock WASM kernels to the bit', () => {
  const shapes: [string, number[], number[]][] = [
    ['same shape', [32, 16, 32], [32, 16, 32]],
    ['a gate over the tokens [32, 1, 32]', [32, 16, 32], [32, 1, 32]],
    ['a per-row statistic [32, 16, 1]', [32, 16, 32], [32, 16, 1]],
    ['a scalar b', [32, 16, 16], []],
    ['a scalar a', [], [7, 5]],
    ['a bias [32] on [512, 32]', [512, 32], [32]],
    ['the broadcast on a: [32, 1, 32] op [32, 16, 32]', [32, 1, 32], [32, 16, 32]],
    ['both broadcast: [5, 1, 3] op [1, 4, 1]', [5, 1, 3], [1, 4, 1]],
    ['odd sizes, 7 columns (a lane group and a scalar tail)', [3, 7], [3, 7]],
    ['rank 4 with size-1 axes', [2, 1, 3, 6], [1, 5, 1, 6]],
    ['two scalars', [], []],
  ]
  for (const [label, sa, sb] of shapes) {
    for (const [name, f] of Object.entries(OPS)) {
      it(`${name}: ${label}`, () => {
        const a = mixed(`${label} a`, sa)
        const b = mixed(`${label} b`, sb)
        expectStockBits(() => f(a, b))
        tf.dispose([a, b])
      })
    }
  }

  it('minimum and maximum of NaNs and signed zeros give the stock bits (a NaN first operand wins, of two zeros the first)', () => {
    const values = [Number.NaN, -0, 0, 1, -1, Infinity, -Infinity, 3.5]
    const pairs = values.flatMap((a) => values.map((b) => [a, b] as const))
    // 64 pairs: sixteen lane groups, and the same pairs once more after a 3-element offset for the scalar tail
    const a = tf.tensor1d([0, 0, 0, ...pairs.map((p) => p[0])])
    const b = tf.tensor1d([0, 0, 0, ...pairs.map((p) => p[1])])
    for (const f of [tf.minimum, tf.maximum]) {
      for (const [x, y] of [[a, b], [a.slice(3), b.slice(3)], [a.slice(0, 7), b.slice(0, 7)]] as const) {
        const { stock, tuned } = stockAndTuned(() => f(x, y))
        expect(bits(tuned)).toEqual(bits(stock))
        tf.dispose([stock, tuned])
      }
      // one operand broadcast: a splat of NaN, of -0
      for (const s of [Number.NaN, -0]) {
        const { stock, tuned } = stockAndTuned(() => [f(a, tf.scalar(s)), f(tf.scalar(s), b)])
        tuned.forEach((t, i) => expect(bits(t)).toEqual(bits(stock[i]!)))
        tf.dispose([...stock, ...tuned])
      }
    }
    tf.dispose([a, b])
  })

  it('division by zero and NaN inputs give the stock results', () => {
    const a = tf.tensor1d([1, -1, 0, Number.NaN, 5, -0, 3, 2, 1])
    const b = tf.tensor1d([0, 0, 0, 1, Number.NaN, 2, -0, Infinity, -Infinity])
    const { stock, tuned } = stockAndTuned(() => tf.div(a, b))
    expect(Array.from(tuned.dataSync())).toEqual(Array.from(stock.dataSync()))
    tf.dispose([a, b, stock, tuned])
  })

  it('int32 and mismatched shapes stay with the stock kernel (its results, its error)', () => {
    const i = tf.tensor1d([3, -4, 5], 'int32')
    expect(Array.from(tf.mul(i, i).dataSync())).toEqual([9, 16, 25])
    expect(() => tf.add(tf.zeros([2, 3]), tf.zeros([4]))).toThrow(/broadcast/i)
    i.dispose()
  })
})

describe('collapseBroadcast', () => {
  it('merges runs of axes that broadcast alike into at most three dimensions', () => {
    expect(collapseBroadcast([32, 16, 32], [32, 16, 32], [32, 16, 32])).toEqual({ dims: [1, 1, 16384], a: [0, 0, 1], b: [0, 0, 1], inner: 'both' })
    expect(collapseBroadcast([32, 16, 32], [32, 1, 32], [32, 16, 32])).toEqual({ dims: [32, 16, 32], a: [512, 32, 1], b: [32, 0, 1], inner: 'both' })
    expect(collapseBroadcast([32, 16, 32], [32, 16, 1], [32, 16, 32])).toEqual({ dims: [1, 512, 32], a: [0, 32, 1], b: [0, 1, 0], inner: 'splatB' })
    expect(collapseBroadcast([], [7, 5], [7, 5])).toEqual({ dims: [1, 1, 35], a: [0, 0, 0], b: [0, 0, 1], inner: 'splatA' })
    // four alternating runs do not fit
    expect(collapseBroadcast([2, 1, 2, 1], [1, 2, 1, 2], [2, 2, 2, 2])).toBeNull()
  })
})
