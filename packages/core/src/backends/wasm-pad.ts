import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { byteAddress, I32, kernelModule, lanesThenOne, op, V128 } from './wasm-bytecode.js'
import { copyRowsOnHeap, sliceAsRows } from './wasm-copy-rows.js'
import { heapOf, heapOffset, kernelOnHeap, type WasmHeapBackend } from './wasm-heap.js'

/**
 * A PadV2 kernel for WASM (float32 and int32): the output filled with the constant's 32-bit word,
 * then the input copied into its interior as the rows of a slice of the output (wasm-copy-rows.ts).
 * `tf.slice`'s gradient is a zero pad: the SiT's per-head slices pad 24 times a step, 17 µs each
 * in tfjs's kernel for one head of [32, 16, 96], 9.5 µs here (bench/wasm-kernel-calls.ts). Words are copied and written as they are, so the
 * result is the stock one exactly, with one exception: tfjs's kernel pads with a constant of an
 * earlier call once a NaN constant has been used (NaN first: later constants give NaN; NaN after
 * another: that one), where this one pads with the constant asked for, as the CPU backend does.
 * Other dtypes, integer tensors padded with a fraction, and paddings that do not collapse to three
 * dimensions go to `stock`.
 */

type FillExport = (dst: number, count: number, word: number) => void

// params (i32): dst (byte pointer), count (words), the word; locals: index, the word in four lanes
const [DST, COUNT, WORD, J, LANES] = [0, 1, 2, 3, 4]
const { get, set } = op
const fillOnHeap = kernelOnHeap<FillExport>(
  () =>
    kernelModule('fill', [I32, I32, I32], [I32, V128], [
      ...get(WORD), ...op.i32x4Splat(), ...set(LANES),
      ...lanesThenOne(J, COUNT, [...byteAddress(DST, get(J)), ...get(LANES), ...op.v128Store()], [...byteAddress(DST, get(J)), ...get(WORD), ...op.i32Store()]),
    ]),
  'fill',
)

/** The 32-bit word a float32 or int32 constant is stored as, or null where the stock kernel should decide. */
function constantWord(dtype: string, value: number): number | null {
  // tfjs's kernel pads with +0 when asked for -0
  if (dtype === 'float32') return new Int32Array(Float32Array.of(value === 0 ? 0 : value).buffer)[0]!
  return Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 ? value | 0 : null
}

export function heapPad(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: { x: TensorInfo }; attrs: { paddings: [number, number][]; constantValue: number }; backend: WasmHeapBackend }
    const { x } = inputs
    const { paddings, constantValue } = attrs
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return stock(args)
    const word = constantWord(x.dtype, constantValue)
    const count = tf.util.sizeFromShape(x.shape)
    if (word === null || count === 0 || paddings.length !== x.shape.length) return stock(args)
    const outShape = x.shape.map((size, d) => paddings[d]![0] + size + paddings[d]![1])
    const interior = sliceAsRows(outShape, paddings.map((p) => p[0]), x.shape)
    if (!interior) return stock(args)
    const out = backend.makeOutput(outShape, x.dtype)
    const heap = heapOf(backend)
    const outAt = heapOffset(backend, out)
    fillOnHeap(heap)(outAt, tf.util.sizeFromShape(outShape), word)
    const [d0, d1, row] = interior.dims
    copyRowsOnHeap(heap)(heapOffset(backend, x), outAt + 4 * interior.start, d0, d1, row, d1 * row, row, interior.strides[0], interior.strides[1])
    return out as never
  }
}
