import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { copyRowsOnHeap, sliceAsRows } from './wasm-copy-rows.js'
import { heapOf, heapOffset, type WasmHeapBackend } from './wasm-heap.js'

/**
 * A Slice kernel for WASM that copies float32 and int32 slices as 32-bit words straight between
 * the input's and the output's place on the WASM heap. tfjs's WASM Slice (JS) first copies the
 * whole input out of the heap (`readSync`), then makes a subarray per output row: 139 µs for a
 * head's [32, 16, 16] slice of a [32, 16, 96] qkv tensor, 4% of the SiT step (kernel-profile.ts).
 * Slices that collapse to three dimensions (the models' all do) are copied by a WebAssembly
 * kernel (wasm-copy-rows.ts), others row by row in JS. The words are the same bits, so the result
 * is the stock one exactly. Other dtypes go to `stock`.
 */
export function heapSlice(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: { x: TensorInfo }; attrs: { begin: number | number[]; size: number | number[] }; backend: WasmHeapBackend }
    const { x } = inputs
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return stock(args)
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size) as [number[], number[]]
    const out = backend.makeOutput(size, x.dtype)
    const count = size.reduce((a, b) => a * b, 1)
    if (count === 0) return out as never
    const plan = sliceAsRows(x.shape, begin, size)
    if (plan) {
      const [d0, d1, row] = plan.dims
      copyRowsOnHeap(heapOf(backend))(heapOffset(backend, x) + 4 * plan.start, heapOffset(backend, out), d0, d1, row, plan.strides[0], plan.strides[1], d1 * row, row)
      return out as never
    }
    // more than three runs (rare): row by row in JS; the heap view after makeOutput, since an
    // allocation may grow (and so replace) the heap
    const heap = backend.wasm.HEAP32
    const src = heapOffset(backend, x) >> 2
    const dst = heapOffset(backend, out) >> 2
    const rank = x.shape.length
    const strides = tf.util.computeStrides(x.shape)
    const row = size[rank - 1]!
    const rows = count / row
    const position = new Array<number>(rank - 1).fill(0)
    for (let r = 0, o = dst; r < rows; r++, o += row) {
      let from = src + begin[rank - 1]!
      for (let d = 0; d < rank - 1; d++) from += (begin[d]! + position[d]!) * strides[d]!
      for (let c = 0; c < row; c++) heap[o + c] = heap[from + c]!
      for (let d = rank - 2; d >= 0 && ++position[d]! === size[d]; d--) position[d] = 0
    }
    return out as never
  }
}

/**
 * A SplitV kernel for WASM made of `slice` (the heap slice above): tfjs's WASM SplitV calls its
 * own JS Slice for each piece. Same pieces, same order; dtypes the slice leaves out go to `stock`.
 */
export function heapSplitV(slice: tf.KernelFunc, stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: { x: TensorInfo }; attrs: { numOrSizeSplits: number | number[]; axis: number | number[] }; backend: WasmHeapBackend }
    const { x } = inputs
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return stock(args)
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis)
    const begin = new Array<number>(x.shape.length).fill(0)
    return sizes.map((s) => {
      const size = x.shape.slice()
      size[axis] = s
      const piece = slice({ inputs: { x } as never, attrs: { begin: begin.slice(), size } as never, backend: backend as never }) as TensorInfo
      begin[axis]! += s
      return piece
    }) as never
  }
}

/**
 * A Concat kernel for WASM that copies float32/int32 inputs as words on the heap, each input's
 * rows into its columns of the output (wasm-copy-rows.ts; tfjs's makes a subarray per row and
 * input). Other dtypes, a single non-empty input and empty outputs go to `stock`.
 */
export function heapConcat(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as { inputs: TensorInfo[]; attrs: { axis: number | number[] }; backend: WasmHeapBackend }
    const dtype = inputs[0]?.dtype
    if ((dtype !== 'float32' && dtype !== 'int32') || inputs.some((t) => t.dtype !== dtype)) return stock(args)
    const axis = tf.util.parseAxisParam(attrs.axis, inputs[0]!.shape)[0]!
    tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis)
    const outShape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis)
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0)
    if (parts.length < 2) return stock(args)
    const out = backend.makeOutput(outShape, dtype)
    const copy = copyRowsOnHeap(heapOf(backend))
    const rows = tf.util.sizeFromShape(parts[0]!.shape.slice(0, axis))
    const outWidth = tf.util.sizeFromShape(outShape.slice(axis))
    let column = heapOffset(backend, out)
    for (const part of parts) {
      // each input's rows, contiguous, into its columns of every output row
      const width = tf.util.sizeFromShape(part.shape.slice(axis))
      copy(heapOffset(backend, part), column, 1, rows, width, 0, width, 0, outWidth)
      column += 4 * width
    }
    return out as never
  }
}
