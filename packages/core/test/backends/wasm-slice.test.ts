import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { sliceAsRows } from '../../src/backends/wasm-copy-rows.js'
import { bits, expectStockBits, expectStockResults, normalInput, stockAndTuned } from './kernel-check.js'

// Slice, SplitV and Concat on the WASM heap (wasm-slice.ts) compared bit for bit with tfjs's stock kernels.

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})
afterAll(() => installWasmKernelFixes())

describe('slices as rows of words for the copy kernel', () => {
  it('merges axes taken whole, drops size-1 axes, and gives up past three runs', () => {
    // a head of qkv: 512 rows of 16 words, 96 apart, from word 48
    expect(sliceAsRows([32, 16, 96], [0, 0, 48], [32, 16, 16])).toEqual({ start: 48, dims: [1, 512, 16], strides: [0, 96] })
    // rows taken whole: one contiguous run
    expect(sliceAsRows([9, 12], [3, 0], [4, 12])).toEqual({ start: 36, dims: [1, 1, 48], strides: [0, 0] })
    expect(sliceAsRows([2, 3, 4, 8], [0, 1, 0, 2], [2, 2, 4, 4])).toEqual({ start: 34, dims: [2, 8, 4], strides: [96, 8] })
    expect(sliceAsRows([4, 6, 1], [1, 2, 0], [3, 3, 1])).toEqual({ start: 8, dims: [1, 3, 3], strides: [0, 6] })
    // a column: rows of one word
    expect(sliceAsRows([4, 6], [0, 1], [4, 1])).toEqual({ start: 1, dims: [1, 4, 1], strides: [0, 6] })
    expect(sliceAsRows([], [], [])).toEqual({ start: 0, dims: [1, 1, 1], strides: [0, 0] })
    expect(sliceAsRows([3, 5, 7, 9], [1, 2, 3, 4], [2, 2, 3, 5])).toBeNull()
  })
})

describe('Slice equals the stock WASM Slice', () => {
  // [label, shape, begin, size]
  const cases: [string, number[], number[], number[]][] = [
    ['a head of a qkv tensor [32, 16, 96] → [32, 16, 16]', [32, 16, 96], [0, 0, 48], [-1, -1, 16]],
    ['rank 1', [50], [7], [20]],
    ['rank 2, contiguous rows', [9, 12], [3, 0], [4, -1]],
    ['rows of 7 words (a group of four and a tail of three)', [5, 11], [1, 2], [3, 7]],
    ['rank 4 that collapses to three (an axis taken whole merges outward)', [2, 3, 4, 8], [0, 1, 0, 2], [2, 2, 4, 4]],
    ['a size-1 innermost axis', [4, 6, 1], [1, 2, 0], [3, 3, 1]],
    ['a column (rows of one word)', [4, 6], [0, 1], [4, 1]],
    ['rank 4, every axis cut (four runs: the JS copy)', [3, 5, 7, 9], [1, 2, 3, 4], [2, 2, 3, 5]],
    ['rank 5', [2, 3, 4, 5, 6], [1, 0, 1, 2, 3], [1, 3, 2, 2, 3]],
    ['long rows (300 words)', [4, 600], [1, 17], [3, 300]],
    ['an empty slice', [4, 5], [2, 0], [0, 5]],
  ]
  for (const [label, shape, begin, size] of cases) {
    it(label, () => {
      const x = tf.tensor(normalInput(label, shape).values, shape)
      expectStockBits(() => tf.slice(x, begin, size))
      x.dispose()
    })
  }

  it('int32 values, NaN payloads and negative zeros are copied as they are', () => {
    const ints = tf.tensor2d([1, -2, 3, 2147483647, -2147483648, 0], [2, 3], 'int32')
    const floats = tf.tensor2d(new Float32Array(new Uint32Array([0x7fc00001, 0x80000000, 0x3f800000, 0xff800000, 0x7f800000, 0x00000001]).buffer), [2, 3])
    const { stock, tuned } = stockAndTuned(() => [tf.slice(ints, [0, 1], [2, 2]), tf.slice(floats, [0, 0], [2, 2])])
    expect(Array.from(tuned[0]!.dataSync())).toEqual(Array.from(stock[0]!.dataSync()))
    expect(bits(tuned[1]!)).toEqual(bits(stock[1]!))
    expect(bits(tuned[1]!)).toEqual([0x7fc00001, 0x80000000, 0xff800000, 0x7f800000])
    tf.dispose([ints, floats, ...stock, ...tuned])
  })

  it('leaves bool to the stock kernel', () => {
    const x = tf.tensor2d([true, false, true, true], [2, 2], 'bool')
    const { stock, tuned } = stockAndTuned(() => tf.slice(x, [0, 1], [2, 1]))
    expect(Array.from(tuned.dataSync())).toEqual(Array.from(stock.dataSync()))
    tf.dispose([x, stock, tuned])
  })
})

describe('SplitV equals the stock WASM SplitV', () => {
  it('six equal pieces of an adaLN modulation [32, 1, 192] and uneven ones', () => {
    const x = tf.tensor(normalInput('split', [32, 1, 192]).values, [32, 1, 192])
    const before = tf.memory().numTensors
    for (const [splits, axis] of [[6, 2], [[40, 100, 52], 2], [[10, 22], 0]] as [number | number[], number][]) {
      const { stock, tuned } = stockAndTuned(() => tf.split(x, splits, axis))
      expect(tuned.map((t) => t.shape)).toEqual(stock.map((t) => t.shape))
      tuned.forEach((t, i) => expect(bits(t)).toEqual(bits(stock[i]!)))
      tf.dispose([...stock, ...tuned])
    }
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
  })

  it('a gradient through per-head slices equals the stock one', () => {
    const x = tf.tensor(normalInput('grad', [4, 6, 24]).values, [4, 6, 24])
    const f = (v: tf.Tensor) => {
      const [a, b] = tf.split(v, [8, 16], 2)
      return tf.sum(tf.mul(tf.slice(b!, [0, 0, 4], [-1, -1, 8]), tf.slice(a!, [0, 0, 0], [-1, -1, 8])))
    }
    const { stock, tuned } = stockAndTuned(() => tf.grad(f)(x))
    expect(bits(tuned)).toEqual(bits(stock))
    tf.dispose([x, stock, tuned])
  })
})

describe('Concat equals the stock WASM Concat', () => {
  const cases: [string, number[][], number][] = [
    ['two heads [32, 16, 16] on the last axis', [[32, 16, 16], [32, 16, 16]], 2],
    ['three inputs of different widths, axis 1', [[4, 3, 5], [4, 1, 5], [4, 6, 5]], 1],
    ['axis 0 (one row)', [[2, 3], [5, 3]], 0],
    ['long rows (300 words)', [[3, 300], [3, 260]], 1],
    ['an empty input among others', [[2, 0], [2, 4], [2, 3]], 1],
  ]
  for (const [label, shapes, axis] of cases) {
    it(label, () => {
      const xs = shapes.map((shape, i) => tf.tensor(normalInput(`${label} ${i}`, shape).values, shape))
      expectStockBits(() => tf.concat(xs, axis))
      tf.dispose(xs)
    })
  }

  it('int32 inputs, and a gradient through a concatenation of heads', () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32')
    const b = tf.tensor2d([5, 6], [2, 1], 'int32')
    const ints = stockAndTuned(() => tf.concat([a, b], 1))
    expect(Array.from(ints.tuned.dataSync())).toEqual([1, 2, 5, 3, 4, 6])
    expect(Array.from(ints.tuned.dataSync())).toEqual(Array.from(ints.stock.dataSync()))
    const x = tf.tensor(normalInput('concat grad', [4, 6, 8]).values, [4, 6, 8])
    const f = (v: tf.Tensor) => {
      const [h1, h2] = tf.split(v, 2, 2)
      return tf.sum(tf.mul(tf.concat([tf.mul(h1!, 2), h2!], 2), v))
    }
    const grads = stockAndTuned(() => tf.grad(f)(x))
    expect(bits(grads.tuned)).toEqual(bits(grads.stock))
    tf.dispose([a, b, x, ints.stock, ints.tuned, grads.stock, grads.tuned])
  })
})

describe('PadV2 equals the stock WASM PadV2', () => {
  // [label, shape, paddings, constant]
  const cases: [string, number[], [number, number][], number][] = [
    ['a head slice’s gradient: [32, 16, 16] into [32, 16, 96]', [32, 16, 16], [[0, 0], [0, 0], [48, 32]], 0],
    ['every side of a matrix, a constant', [5, 7], [[1, 2], [3, 0]], -1.5],
    ['rank 1 with a tail of three words', [7], [[2, 5]], 0.25],
    ['a negative zero constant (stock pads with +0)', [3, 4], [[0, 1], [1, 1]], -0],
    ['rank 4 whose interior needs four runs (the stock kernel)', [2, 3, 4, 5], [[1, 0], [0, 1], [1, 1], [0, 2]], 0],
    ['no padding at all', [4, 6], [[0, 0], [0, 0]], 0],
  ]
  for (const [label, shape, paddings, constant] of cases) {
    it(label, () => {
      const x = tf.tensor(normalInput(label, shape).values, shape)
      expectStockBits(() => tf.pad(x, paddings, constant))
      x.dispose()
    })
  }

  it('pads with NaN when asked, and with the constant asked for after that (stock reuses an earlier constant)', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2])
    const padded = (constant: number) => tf.tidy(() => Array.from(tf.pad(x, [[1, 0], [0, 1]], constant).dataSync()))
    const layout = (edge: number) => [edge, edge, edge, 1, 2, edge, 3, 4, edge]
    expect(padded(Number.NaN)).toEqual(layout(Number.NaN))
    expect(padded(-1.5)).toEqual(layout(-1.5))
    expect(padded(Number.NaN)).toEqual(layout(Number.NaN))
    x.dispose()
  })

  it('int32 with an integer constant; a fraction, bool and an empty input stay with the stock kernel', () => {
    const ints = tf.tensor2d([1, -2, 3, 2147483647], [2, 2], 'int32')
    expectStockResults([
      ['int32, constant 7', () => tf.pad(ints, [[1, 0], [0, 2]], 7)],
      ['int32, constant 2.5', () => tf.pad(ints, [[1, 0], [0, 2]], 2.5)],
      ['bool', () => tf.pad(tf.tensor1d([true, false], 'bool'), [[1, 1]])],
      ['empty', () => tf.pad(tf.zeros([0, 3]), [[1, 1], [0, 1]], 4)],
    ])
    ints.dispose()
  })
})

describe('Tile equals the stock WASM Tile', () => {
  // [label, shape, reps]
  const cases: [string, number[], number[]][] = [
    ['Group DETR’s queries over a batch: [1, 132, 32] × [16, 1, 1]', [1, 132, 32], [16, 1, 1]],
    ['a per-row value broadcast along the last axis: [32, 16, 1] × [1, 1, 32]', [32, 16, 1], [1, 1, 32]],
    ['rows of 7 words (a tail of three) repeated: [1, 5, 7] × [3, 1, 1]', [1, 5, 7], [3, 1, 1]],
    ['a scalar-like [1, 1] × [4, 9]', [1, 1], [4, 9]],
    ['broadcast on both sides of a kept axis: [1, 6, 1] × [3, 1, 5]', [1, 6, 1], [3, 1, 5]],
    ['reps of 1 (a copy)', [4, 5], [1, 1]],
  ]
  for (const [label, shape, reps] of cases) {
    it(label, () => {
      const x = tf.tensor(normalInput(label, shape).values, shape)
      expectStockBits(() => tf.tile(x, reps))
      x.dispose()
    })
  }

  it('int32 and tf.broadcastTo; a true tiling, bool and an empty input stay with the stock kernel', () => {
    const ints = tf.tensor3d([1, -2, 2147483647], [1, 3, 1], 'int32')
    const floats = tf.tensor2d([1.5, -2, 3, 4], [2, 2])
    expectStockResults([
      ['int32', () => tf.tile(ints, [2, 1, 4])],
      ['broadcastTo', () => tf.broadcastTo(tf.reshape(floats, [2, 1, 2]), [2, 3, 2])],
      ['a true tiling [2, 2] × [2, 3]', () => tf.tile(floats, [2, 3])],
      ['bool', () => tf.tile(tf.tensor2d([true, false], [1, 2], 'bool'), [3, 1])],
      ['empty', () => tf.tile(tf.zeros([1, 0]), [3, 1])],
    ])
    tf.dispose([ints, floats])
  })
})
