import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { collapseBroadcast } from './wasm-binary-ops.js'
import { byteAddress, forUp, I32, kernelModule, lanesThenOne, op, V128, type Bytes } from './wasm-bytecode.js'
import { copyRowsOnHeap } from './wasm-copy-rows.js'
import { heapOf, heapOffset, kernelOnHeap, type WasmHeapBackend } from './wasm-heap.js'

/**
 * `Tile` where it is a broadcast (every axis either repeated from size 1 or kept whole: what
 * `tf.broadcastTo`, and `tf.tile` of an expanded tensor, ask for), for float32 and int32, as a
 * WebAssembly kernel that copies words on tfjs's heap. tfjs's WASM Tile computes every output's
 * source index with divisions, 49 ns an element (Group DETR's queries tiled over a batch of 16,
 * [132, 32] → [16, 132, 32]: 3.3 ms a call, 8 µs here; bench/wasm-kernel-calls.ts). This one
 * collapses the broadcast to three dimensions, each output row a contiguous copy of a row of x
 * (the copy kernel of wasm-copy-rows.ts) or one word of x repeated (the kernel below). Copies move
 * the same bits, so the result is exact. Other tilings go to `stock`.
 */

type SplatExport = (x: number, out: number, d0: number, d1: number, d2: number, s0: number, s1: number) => void

// params (i32): x and out (byte pointers), dims d0, d1, d2, x's strides s0, s1 (words)
const [X, OUT, D0, D1, D2, S0, S1] = [0, 1, 2, 3, 4, 5, 6]
const [I0, I1, J, PX, PO, SPLAT] = [7, 8, 9, 10, 11, 12]
const { get, set } = op

/** Output rows of d2 words, each one word of x repeated. */
const BODY: Bytes = [
  ...get(OUT), ...set(PO),
  ...forUp(I0, D0, forUp(I1, D1, [
    ...byteAddress(X, [...get(I0), ...get(S0), ...op.i32Mul(), ...get(I1), ...get(S1), ...op.i32Mul(), ...op.i32Add()]), ...set(PX),
    ...get(PX), ...op.i32Load(), ...op.i32x4Splat(), ...set(SPLAT),
    ...lanesThenOne(J, D2,
      [...byteAddress(PO, get(J)), ...get(SPLAT), ...op.v128Store()],
      [...byteAddress(PO, get(J)), ...get(PX), ...op.i32Load(), ...op.i32Store()]),
    ...byteAddress(PO, get(D2)), ...set(PO),
  ])),
]

const splatRowsOnHeap = kernelOnHeap<SplatExport>(() => kernelModule('splat', new Array<number>(7).fill(I32), [I32, I32, I32, I32, I32, V128], BODY), 'splat')

/** A Tile kernel function: broadcasts as above, everything else to `stock`. */
export function broadcastTile(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: { x: TensorInfo }; attrs: { reps: number[] }; backend: WasmHeapBackend }
    const { x } = inputs
    const { reps } = attrs
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return stock(args)
    if (reps.length !== x.shape.length || x.shape.some((size, d) => size !== 1 && reps[d] !== 1)) return stock(args)
    const outShape = x.shape.map((size, d) => size * reps[d]!)
    // x against the output it broadcasts to: x's strides are 0 along the repeated axes
    const plan = collapseBroadcast(x.shape, outShape, outShape)
    if (!plan || plan.inner === 'splatB' || outShape.some((d) => d === 0)) return stock(args)
    const out = backend.makeOutput(outShape, x.dtype)
    const [d0, d1, d2] = plan.dims as [number, number, number]
    const [from, to] = [heapOffset(backend, x), heapOffset(backend, out)]
    if (plan.inner === 'splatA') splatRowsOnHeap(heapOf(backend))(from, to, d0, d1, d2, plan.a[0]!, plan.a[1]!)
    else copyRowsOnHeap(heapOf(backend))(from, to, d0, d1, d2, plan.a[0]!, plan.a[1]!, d1 * d2, d2)
    return out as never
  }
}
