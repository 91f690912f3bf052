import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { installWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { MAX_INTEGER_EXPONENT } from '../../src/backends/wasm-pow.js'
import { bits, expectStockResults, mixed, normalInput, stockAndTuned } from './kernel-check.js'

// Pow by an integer exponent on tuned WASM (wasm-pow.ts): x multiplied |n| times in float64,
// inverted for n < 0, rounded once to float32. Compared bit for bit with that computation in JS,
// and against tfjs's stock kernel (libc powf), which it may differ from by one unit in the last place.

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})
afterAll(() => installWasmKernelFixes())

/** The kernel's definition in JS: float64 products (x * x is exact), one rounding to float32. */
function reference(x: number, n: number): number {
  let p = 1
  for (let k = 0; k < Math.abs(n); k++) p *= x
  return Math.fround(n < 0 ? 1 / p : p)
}

const bitsOf = (values: number[]): number[] => Array.from(new Uint32Array(Float32Array.from(values).buffer))

const SPECIAL = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3.4e38, -3.4e38, 1e-30, -1e-30, 1e-45, -1e-45, 1e20, -1e20, Infinity, -Infinity, Number.NaN, 1.1754944e-38]

describe('Pow by an integer exponent', () => {
  const x = mixed('pow x', [37, 29]) // mixed magnitudes, 1073 elements (a tail past the last group of four)
  const special = tf.tensor1d(SPECIAL)
  afterAll(() => tf.dispose([x, special]))

  for (let n = -MAX_INTEGER_EXPONENT; n <= MAX_INTEGER_EXPONENT; n++) {
    it(`n = ${n}: the float32 nearest the float64 power, special values included`, () => {
      const before = tf.memory().numTensors
      for (const input of [x, special]) {
        const y = tf.pow(input, n)
        expect(y.shape).toEqual(input.shape)
        expect(bits(y)).toEqual(bitsOf(Array.from(input.dataSync(), (v) => reference(v, n))))
        y.dispose()
      }
      expect(tf.memory().numTensors).toBe(before)
    })
  }

  it('differs from libc powf (stock) only by one unit in the last place, and rarely', () => {
    const normals = tf.tensor1d(normalInput('pow normals', [200_000]).values)
    for (const n of [2, 3, -1]) {
      const { stock, tuned } = stockAndTuned(() => tf.pow(normals, n))
      const [s, t] = [new Int32Array((stock.dataSync() as Float32Array).buffer), new Int32Array((tuned.dataSync() as Float32Array).buffer)]
      let [differ, maxUlps] = [0, 0]
      for (let i = 0; i < s.length; i++) {
        const ulps = Math.abs(s[i]! - t[i]!)
        maxUlps = Math.max(maxUlps, ulps)
        if (ulps > 0) differ++
      }
      expect(maxUlps, `n = ${n}`).toBeLessThanOrEqual(1)
      // powf is off by one in about 0.07% of elements (so the kernel is the one running), never in 0.5%
      expect(differ, `n = ${n}`).toBeGreaterThan(0)
      expect(differ / s.length, `n = ${n}`).toBeLessThan(0.005)
      tf.dispose([stock, tuned])
    }
    normals.dispose()
  })

  it('other exponents, an exponent tensor, int32 and a higher-rank exponent give the stock results', () => {
    const positive = tf.abs(x)
    expectStockResults([
      ['2.5', () => tf.pow(positive, 2.5)],
      ['9 (past the largest integer taken)', () => tf.pow(x, MAX_INTEGER_EXPONENT + 1)],
      ['an exponent per element', () => tf.pow(positive, tf.fill(positive.shape, 3))],
      ['a [1, 1, 1] exponent on a matrix', () => tf.pow(x, tf.tensor3d([3], [1, 1, 1]))],
      ['int32', () => tf.pow(tf.tensor1d([2, -3, 4], 'int32'), tf.scalar(3, 'int32'))],
    ])
    positive.dispose()
  })

  it('the gradient of pow(x, 3) is 3·pow(x, 2), tensors flat', () => {
    const v = tf.tensor1d([0.5, -2, 3, 1e-3])
    const before = tf.memory().numTensors
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.pow(t, 3)))(v)
    expect(bits(g)).toEqual(bitsOf(Array.from(v.dataSync(), (e) => Math.fround(3 * reference(e, 2)))))
    g.dispose()
    expect(tf.memory().numTensors).toBe(before)
    v.dispose()
  })
})
