import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { addTo, byteAddress, F32, geU, I32, kernelModule, op, V128, whileNot, type Bytes } from './wasm-bytecode.js'
import { heapOf, heapOffset, kernelOnHeap, type WasmHeapBackend } from './wasm-heap.js'

// The column-sum kernel: params (src, dst, rows, cols), i32, pointers in bytes.
const [SRC, DST, ROWS, COLS] = [0, 1, 2, 3]
const [C, R, P, COLS_BYTES] = [4, 5, 6, 7]
const SACC = 8
const ACC = [9, 10, 11, 12]
const LOCALS = [I32, I32, I32, I32, F32, V128, V128, V128, V128]
const { get, set, i32 } = op

/**
 * Columns c.. in tiles of `vectors` f32x4 lane groups (one scalar column when 0): each tile's
 * sums run down the rows in order from +0, so every column is summed as tfjs sums it.
 */
function columnTiles(vectors: number): Bytes {
  const width = Math.max(1, 4 * vectors)
  const vs = [...Array(vectors).keys()]
  const zero = vectors === 0 ? [...op.f32(0), ...set(SACC)] : vs.flatMap((v) => [...op.v128Zero(), ...set(ACC[v]!)])
  const add =
    vectors === 0
      ? [...get(SACC), ...get(P), ...op.f32Load(), ...op.f32Add(), ...set(SACC)]
      : vs.flatMap((v) => [...get(ACC[v]!), ...get(P), ...op.v128Load(16 * v), ...op.f32x4Add(), ...set(ACC[v]!)])
  const store =
    vectors === 0
      ? [...byteAddress(DST, get(C)), ...get(SACC), ...op.f32Store()]
      : vs.flatMap((v) => [...byteAddress(DST, get(C)), ...get(ACC[v]!), ...op.v128Store(16 * v)])
  return whileNot([...get(C), ...i32(width), ...op.i32Add(), ...get(COLS), ...op.i32GtU()], [
    ...zero,
    ...byteAddress(SRC, get(C)), ...set(P),
    ...i32(0), ...set(R),
    ...whileNot(geU(R, ROWS), [...add, ...addTo(P, get(COLS_BYTES)), ...addTo(R, i32(1))]),
    ...store,
    ...addTo(C, i32(width)),
  ])
}

const columnSums = kernelOnHeap<(src: number, dst: number, rows: number, cols: number) => void>(
  () => kernelModule('columnSums', [I32, I32, I32, I32], LOCALS, [...get(COLS), ...i32(2), ...op.i32Shl(), ...set(COLS_BYTES), ...i32(0), ...set(C), ...columnTiles(4), ...columnTiles(1), ...columnTiles(0)]),
  'columnSums',
)

/** The fewest kept elements (columns) that take the column sums: 8 (a conv bias gradient) is 8x faster than transposing (bench/wasm-sum.ts). */
export const MIN_COLUMNS = 8

/**
 * A Sum kernel for WASM that reduces the leading axes of a float32 tensor (a bias gradient: [512,
 * 64] over axis 0, or NHWC over batch, height and width) as column sums, in WebAssembly SIMD (16
 * columns side by side) over the rows, instead of transposing the reduced axes innermost first.
 * Each column is summed row by row from +0 in float32, the order tfjs's WASM Sum adds its
 * innermost axis in, so the sums are the same to the bit. Every other reduction, and one that
 * keeps fewer than MIN_COLUMNS elements, goes to `other`.
 */
export function leadingAxesSum(other: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: { x: TensorInfo }; attrs: { axis: number | number[]; keepDims: boolean }; backend: WasmHeapBackend }
    const { x } = inputs
    if (x.dtype !== 'float32') return other(args)
    // Axes as given: the stock kernel moves them innermost in this order, which sets the order of
    // its sums ([1, 0] adds along axis 0 fastest), so only [0, 1, …, k−1] is a column sum.
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape)
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((axis, i) => axis === i)
    if (!leading) return other(args)
    const kept = x.shape.slice(axes.length)
    const cols = kept.reduce((a, b) => a * b, 1)
    // fewer columns than two lane groups: the transposing path
    if (cols < MIN_COLUMNS) return other(args)
    const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1)
    const out = backend.makeOutput(attrs.keepDims ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept, 'float32')
    columnSums(heapOf(backend))(heapOffset(backend, x), heapOffset(backend, out), rows, cols)
    return out as never
  }
}
