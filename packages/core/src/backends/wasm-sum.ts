import * as tf from '@tensorflow/tfjs'
import type { DataBackend, TensorInfo } from './cpu-fallback.js'

/** What the column sum reads of tfjs's WASM backend. */
type WasmBackend = DataBackend & {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): Float32Array
}

/** The fewest kept elements (columns) for which the column sums beat transpose + stock Sum. */
export const MIN_COLUMNS = 32

/**
 * A Sum kernel for WASM that reduces the leading axes of a float32 tensor (a bias gradient: [512,
 * 64] over axis 0, or NHWC over batch, height and width) as column sums in one JS pass over the
 * rows, instead of transposing the reduced axes innermost first. Each column is summed row by
 * row from 0 in float32 (a float32 add done in float64 and rounded is the float32 add), the order
 * tfjs's WASM Sum adds its innermost axis in, so the sums are the same to the bit. Every other
 * reduction, and one that keeps fewer than MIN_COLUMNS elements, goes to `other`.
 */
export function leadingAxesSum(other: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: { x: TensorInfo }; attrs: { axis: number | number[]; keepDims: boolean }; backend: WasmBackend }
    const { x } = inputs
    if (x.dtype !== 'float32') return other(args)
    // Axes as given: the stock kernel moves them innermost in this order, which sets the order of
    // its sums ([1, 0] adds along axis 0 fastest), so only [0, 1, …, k−1] is a column sum.
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape)
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((axis, i) => axis === i)
    if (!leading) return other(args)
    const kept = x.shape.slice(axes.length)
    const cols = kept.reduce((a, b) => a * b, 1)
    // Fewer columns leave too short an inner loop: a conv bias gradient ([64·28·28, 8]) was 30%
    // slower this way than transposed (bench/wasm-sum.ts).
    if (cols < MIN_COLUMNS) return other(args)
    const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1)
    const out = backend.makeOutput(attrs.keepDims ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept, 'float32')
    // views after makeOutput: an allocation may grow (and so move) the heap
    const src = backend.typedArrayFromHeap(x)
    const sums = backend.typedArrayFromHeap(out)
    sums.fill(0)
    for (let r = 0; r < rows; r++) {
      const from = r * cols
      for (let c = 0; c < cols; c++) sums[c]! += src[from + c]!
    }
    return out as never
  }
}
