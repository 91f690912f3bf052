import * as tf from '@tensorflow/tfjs'
import { expect } from 'vitest'
import { createRng, useBackend } from '../../src/index.js'
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../../src/backends/index.js'

/** Absolute tolerance, relative for values above 1 (float32 summation order differs between backends). */
export const TOLERANCE = 1e-5

/** A seeded random input, built anew on each backend from the same numbers. */
export interface InputSpec {
  readonly shape: number[]
  readonly values: Float32Array | Int32Array
  readonly dtype: 'float32' | 'int32'
}

export function normalInput(seed: string, shape: number[], scale = 1, shift = 0): InputSpec & { readonly values: Float32Array } {
  const rng = createRng(seed)
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => shift + scale * rng.normal())
  return { shape, values, dtype: 'float32' }
}

export function intInput(seed: string, shape: number[], below: number): InputSpec {
  const rng = createRng(seed)
  return { shape, values: Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(below)), dtype: 'int32' }
}

/**
 * Indices where `actual` is not within tolerance of `expected`. Written as `!(diff <= tol)` so that
 * a NaN anywhere counts as a mismatch (a `Math.max` of differences would swallow it).
 */
export function mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = TOLERANCE): number[] {
  if (actual.length !== expected.length) return [-1]
  const bad: number[] = []
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number
    if (!(Math.abs((actual[i] as number) - e) <= tolerance * Math.max(1, Math.abs(e)))) bad.push(i)
  }
  return bad
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  const bad = mismatches(actual, expected)
  const shown = bad.slice(0, 5).map((i) => (i < 0 ? `length ${actual.length} vs ${expected.length}` : `[${i}] ${actual[i]} vs ${expected[i]}`))
  expect(bad, `${label}: ${bad.length} of ${expected.length} elements differ: ${shown.join(', ')}`).toEqual([])
}

interface WasmModule {
  _malloc(bytes: number): number
  HEAPU8: Uint8Array
}

/** The byte every poisoned allocation is filled with: 0xFFFFFFFF is a NaN as float32 (and -1 as int32). */
export const POISON_BYTE = 0xff

/**
 * Poisons the WASM backend's memory for outputs. tfjs's WASM backend allocates every tensor buffer,
 * kernel outputs included, through the module's `_malloc` called from JS (`backend.move`), and
 * malloc hands back recycled heap memory that still holds whatever an earlier tensor left there,
 * often zeros or plausible values. While poisoned, every such buffer is filled with 0xFF bytes
 * the moment it is allocated, before the kernel runs; inputs are then overwritten with their
 * values, but an output element the kernel never writes stays NaN, and `mismatches` counts NaN as
 * a failure. The poison self-test in wasm-kernels.test.ts shows a kernel that writes half its
 * output failing this check. Returns the function that ends the poisoning.
 */
export function poisonWasmOutputs(): () => void {
  const backend = tf.engine().registry.wasm as unknown as { wasm: WasmModule } | undefined
  if (!backend) throw new Error('the wasm backend is not started')
  const module = backend.wasm
  const malloc = module._malloc
  module._malloc = (bytes: number) => {
    const at = malloc(bytes)
    module.HEAPU8.fill(POISON_BYTE, at >>> 0, (at >>> 0) + bytes) // HEAPU8 read after malloc: the heap may have grown
    return at
  }
  return () => {
    module._malloc = malloc
  }
}

export type BackendUnderTest = 'cpu' | 'wasm' | 'wasm-stock'

/**
 * Runs `f` on fresh tensors made from `inputs` on one backend and returns every output's values.
 * On WASM the outputs are poisoned (see poisonWasmOutputs), so unwritten elements read as NaN.
 */
export async function runOn(backend: BackendUnderTest, inputs: readonly InputSpec[], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend === 'wasm-stock' ? 'wasm' : backend, { tunedWasm: backend === 'wasm' })
  const unpoison = backend === 'cpu' ? () => {} : poisonWasmOutputs()
  try {
    const xs = inputs.map((s) => tf.tensor(s.values, s.shape, s.dtype))
    const outs = tf.tidy(() => f(...xs))
    const values = outs.map((t) => Float32Array.from(t.dataSync()))
    tf.dispose([...xs, ...outs])
    return values
  } finally {
    unpoison()
  }
}

/** `f`'s outputs and the gradients of a random-weighted sum of its first output w.r.t. every float input. */
export function withGradients(weightSeed: string, f: (...xs: tf.Tensor[]) => tf.Tensor): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const floats = xs.map((x, i) => [x, i] as const).filter(([x]) => x.dtype === 'float32')
    const y = f(...xs)
    const weights = tf.tensor(normalInput(weightSeed, y.shape).values, y.shape)
    const loss = (...fs: tf.Tensor[]) => {
      const all = xs.map((x, i) => {
        const at = floats.findIndex(([, j]) => j === i)
        return at >= 0 ? (fs[at] as tf.Tensor) : x
      })
      return tf.sum(tf.mul(f(...all), weights))
    }
    const grads = tf.grads(loss)(floats.map(([x]) => x))
    weights.dispose()
    return [y, ...grads]
  }
}

/** Runs `f` on CPU and on tuned WASM and asserts every output (values and gradients) agrees. */
export async function expectWasmMatchesCpu(label: string, inputs: readonly InputSpec[], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  const expected = await runOn('cpu', inputs, f)
  const actual = await runOn('wasm', inputs, f)
  expect(actual.length).toBe(expected.length)
  expected.forEach((e, i) => expectClose(actual[i] as Float32Array, e, `${label}, output ${i}`))
}

/** Values of mixed magnitude (1e-4 to 1e4, both signs), so any change in summation order changes the float32 sums. */
export function mixed(seed: string, shape: number[]): tf.Tensor {
  const v = normalInput(seed, shape).values.map((z, i) => z * 10 ** (((i * 7) % 9) - 4))
  return tf.tensor(v, shape)
}

/** A float32 tensor's values as bit patterns (NaN payloads and signed zeros included). */
export const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer))

/** `f` gives the same shape and bits with the kernel fixes as with tfjs's stock kernels, and leaves no tensor behind. */
export function expectStockBits(f: () => tf.Tensor): void {
  const before = tf.memory().numTensors
  const { stock, tuned } = stockAndTuned(f)
  expect(tuned.shape).toEqual(stock.shape)
  expect(bits(tuned)).toEqual(bits(stock))
  tf.dispose([stock, tuned])
  expect(tf.memory().numTensors).toBe(before)
}

/** Each labelled case gives the same shape, dtype and values with the kernel fixes as with tfjs's stock kernels. */
export function expectStockResults(cases: readonly [string, () => tf.Tensor][]): void {
  for (const [label, f] of cases) {
    const { stock, tuned } = stockAndTuned(f)
    expect(tuned.shape, label).toEqual(stock.shape)
    expect(tuned.dtype, label).toEqual(stock.dtype)
    expect(Array.from(tuned.dataSync()), label).toEqual(Array.from(stock.dataSync()))
    tf.dispose([stock, tuned])
  }
}

/** `f` with tfjs's stock WASM kernels, then with the kernel fixes installed (on the wasm backend). */
export function stockAndTuned<T extends tf.Tensor | tf.Tensor[]>(f: () => T): { stock: T; tuned: T } {
  uninstallWasmKernelFixes()
  const stock = tf.tidy(f)
  installWasmKernelFixes()
  const tuned = tf.tidy(f)
  return { stock, tuned }
}
