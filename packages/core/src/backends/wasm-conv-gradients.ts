import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { heapOf, heapOffset, type WasmHeapBackend } from './wasm-heap.js'
import { col2im } from './wasm-col2im-kernel.js'
import { convFilterGradient } from './wasm-conv-filter-kernel.js'


interface Conv2DGradAttrs {
  strides: [number, number] | number
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dataFormat: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

/** A view of a tensor's buffer under another shape (no copy; the kernels read it as a matrix). */
const asShape = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype })

/**
 * The filter gradient of a 2-D convolution (NHWC, float32): the sum over output positions of each
 * input patch times dy, in the SIMD kernel of wasm-conv-filter-kernel.ts, which reads the patches
 * straight from x instead of laying out an im2col matrix. Its sums run in the order the matmul of
 * that matrix by dy sums them (one float32 chain over the positions), so the result is that
 * matmul's to the bit, and equals tfjs's CPU kernel (float64 sums) to float32 rounding. tfjs's
 * WASM backend has no kernel for it; its CPU kernel takes ~1.6 s for one 3×3 conv of 8 → 16
 * channels on 64 images of 14×14. Other cases (NCHW, other dtypes) go to `fallback`.
 */
export function conv2dBackpropFilter(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as {
      inputs: { x: TensorInfo; dy: TensorInfo }
      attrs: Conv2DGradAttrs & { filterShape: [number, number, number, number] }
      backend: WasmHeapBackend
    }
    const { x, dy } = inputs
    if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args)
    const info = tf.backend_util.computeConv2DInfo(x.shape as never, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast')
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info
    const out = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32')
    backend.typedArrayFromHeap(out).fill(0)
    convFilterGradient(heapOf(backend), outChannels)(
      heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, out),
      batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels,
      filterHeight, filterWidth, strideHeight, strideWidth, info.padInfo.top, info.padInfo.left,
    )
    return out as never
  }
}

/**
 * The input gradient of a 2-D convolution (NHWC, float32): dy as [batch·outH·outW, outC] times the
 * filter as [filterH·filterW·inC, outC] transposed gives each output position's patch gradient,
 * which the SIMD kernel of wasm-col2im-kernel.ts adds back into the input's shape (col2im; a
 * pixel in several patches sums their gradients in float32, position by position). tfjs's WASM
 * kernel computes the same sums in a direct loop, several times slower on the shapes of a small
 * CNN. Other cases go to `fallback`.
 */
export function conv2dBackpropInput(matmul: tf.KernelFunc, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as {
      inputs: { dy: TensorInfo; filter: TensorInfo }
      attrs: Conv2DGradAttrs & { inputShape: [number, number, number, number] }
      backend: WasmHeapBackend
    }
    const { dy, filter } = inputs
    if (attrs.dataFormat !== 'NHWC' || filter.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args)
    const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, filter.shape as never, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast')
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info
    const { top, left } = info.padInfo
    const patchSize = filterHeight * filterWidth * inChannels
    const positions = batchSize * outHeight * outWidth
    const patchGrads = matmul({
      inputs: { a: asShape(dy, [positions, outChannels]), b: asShape(filter, [patchSize, outChannels]) } as never,
      attrs: { transposeA: false, transposeB: true } as never,
      backend: backend as never,
    }) as TensorInfo
    try {
      const dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32')
      backend.typedArrayFromHeap(dx).fill(0)
      col2im(heapOf(backend))(heapOffset(backend, patchGrads), heapOffset(backend, dx), batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, top, left)
      return dx as never
    } finally {
      backend.disposeData(patchGrads.dataId)
    }
  }
}
