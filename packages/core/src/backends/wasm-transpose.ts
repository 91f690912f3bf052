import * as tf from '@tensorflow/tfjs'
import type { DataBackend, TensorInfo } from './cpu-fallback.js'

/** What the rank-2 transpose reads of tfjs's WASM backend. */
type WasmBackend = DataBackend & {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): Float32Array
}

/** Side of the square tiles the transpose copies: 16 × 16 floats, 1 KiB of source and of target. */
const TILE = 16

/**
 * A Transpose kernel for WASM that moves a float32 matrix (rank 2 once size-1 axes are dropped)
 * tile by tile in JS, and leaves every other case to the stock kernel. tfjs's WASM transpose of a
 * [512, n] matrix writes its columns at a 2 KiB stride and takes 0.3-0.8 ms (about 10x the
 * [n, 512] case); every weight gradient of a dense layer on 512 rows transposes one.
 */
export function tiledTranspose(stock: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: { x: TensorInfo }; attrs: { perm: number[] }; backend: WasmBackend }
    const { x } = inputs
    const kept = x.shape.flatMap((size, axis) => (size === 1 ? [] : [axis]))
    const permKept = attrs.perm.filter((axis) => x.shape[axis] !== 1)
    if (x.dtype !== 'float32' || kept.length !== 2 || permKept[0] !== kept[1]) return stock.kernelFunc(args)
    const rows = x.shape[kept[0]!]!
    const cols = x.shape[kept[1]!]!
    const out = backend.makeOutput(attrs.perm.map((axis) => x.shape[axis]!), 'float32')
    // views after makeOutput: an allocation may grow (and so move) the heap
    const src = backend.typedArrayFromHeap(x)
    const dst = backend.typedArrayFromHeap(out)
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = Math.min(rows, r0 + TILE)
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const c1 = Math.min(cols, c0 + TILE)
        for (let r = r0; r < r1; r++) {
          const from = r * cols
          for (let c = c0; c < c1; c++) dst[c * rows + r] = src[from + c]!
        }
      }
    }
    return out as never
  }
}

/**
 * A Sum kernel for WASM that moves the reduced axes innermost with `transpose` (the tiled one)
 * and then runs the stock kernel, which would otherwise transpose with tfjs's own kernel. Same
 * data in the same order, so the same sums to the bit.
 */
export function sumAfterTranspose(stock: tf.KernelConfig, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: { x: TensorInfo }; attrs: { axis: number | number[]; keepDims: boolean }; backend: WasmBackend }
    const { x } = inputs
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape)
    const perm = tf.backend_util.getAxesPermutation(axes, x.shape.length)
    if (perm === null) return stock.kernelFunc(args)
    const moved = transpose({ inputs: { x } as never, attrs: { perm } as never, backend: backend as never }) as TensorInfo
    try {
      const inner = tf.backend_util.getInnerMostAxes(axes.length, x.shape.length)
      const out = stock.kernelFunc({ inputs: { x: moved } as never, attrs: { axis: inner, keepDims: false } as never, backend: backend as never }) as TensorInfo
      if (attrs.keepDims) (out as { shape: number[] }).shape = tf.backend_util.expandShapeToKeepDim(out.shape, axes)
      return out as never
    } finally {
      backend.disposeData(moved.dataId)
    }
  }
}
