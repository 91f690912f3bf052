import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { byteAddress, I32, kernelModule, lanesThenOne, op, V128, type Bytes } from './wasm-bytecode.js'
import { heapOf, heapOffset, kernelOnHeap, type WasmHeapBackend } from './wasm-heap.js'

/**
 * `Sign` of a float32 tensor as a WebAssembly SIMD kernel on tfjs's heap, with tfjs's WASM
 * kernel's results, measured: 1 from 2⁻²³ up, -1 from -2⁻²³ down, and +0 between them and for
 * NaN (tfjs's CPU kernel, `Math.sign`, gives ±1 for every nonzero value; these are the numbers
 * WASM results were recorded with). Two comparisons and a bit mask per four elements instead of
 * a branchy scalar loop: 6 ns an element in tfjs's kernel, 0.18 here (bench/wasm-kernel-calls.ts);
 * FRUGAL's signSGD takes the sign of every state-free gradient. Other dtypes go to `stock`.
 */

/** Below this magnitude tfjs's WASM Sign gives 0 (2⁻²³, float32's machine epsilon). */
export const SIGN_ZERO_BELOW = 2 ** -23

type SignExport = (x: number, out: number, count: number) => void

// params (i32): x and out (byte pointers), count; locals: index, x's lanes, and the constants' lanes
const [X, OUT, COUNT, J, V, ONE, MINUS_ONE, LOW, HIGH] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
const { get, set } = op
const splat = (value: number, local: number): Bytes => [...op.f32(value), ...op.f32x4Splat(), ...set(local)]

const BODY: Bytes = [
  ...splat(1, ONE), ...splat(-1, MINUS_ONE), ...splat(SIGN_ZERO_BELOW, HIGH), ...splat(-SIGN_ZERO_BELOW, LOW),
  ...lanesThenOne(J, COUNT,
    [
      ...byteAddress(X, get(J)), ...op.v128Load(), ...set(V),
      ...byteAddress(OUT, get(J)),
      // (1 where x ≥ 2⁻²³) | (-1 where x ≤ -2⁻²³); NaN compares false both ways
      ...get(ONE), ...get(V), ...get(HIGH), ...op.f32x4Ge(), ...op.v128And(),
      ...get(MINUS_ONE), ...get(V), ...get(LOW), ...op.f32x4Le(), ...op.v128And(),
      ...op.v128Or(), ...op.v128Store(),
    ],
    [
      ...byteAddress(OUT, get(J)),
      ...op.f32(1),
      ...op.f32(-1), ...op.f32(0), ...byteAddress(X, get(J)), ...op.f32Load(), ...op.f32(-SIGN_ZERO_BELOW), ...op.f32Le(), ...op.select(),
      ...byteAddress(X, get(J)), ...op.f32Load(), ...op.f32(SIGN_ZERO_BELOW), ...op.f32Ge(), ...op.select(),
      ...op.f32Store(),
    ]),
]

const signOnHeap = kernelOnHeap<SignExport>(() => kernelModule('sign', [I32, I32, I32], [I32, V128, V128, V128, V128, V128], BODY), 'sign')

/** A Sign kernel function: float32 as above, everything else to `stock`. */
export function simdSign(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: { x: TensorInfo }; backend: WasmHeapBackend }
    const { x } = inputs
    if (x.dtype !== 'float32') return stock(args)
    const out = backend.makeOutput(x.shape, 'float32')
    const count = tf.util.sizeFromShape(x.shape)
    if (count > 0) signOnHeap(heapOf(backend))(heapOffset(backend, x), heapOffset(backend, out), count)
    return out as never
  }
}
