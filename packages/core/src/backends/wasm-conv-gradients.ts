import * as tf from '@tensorflow/tfjs'
import type { DataBackend, TensorInfo } from './cpu-fallback.js'

/** What the conv gradients read of tfjs's WASM backend. */
type WasmBackend = DataBackend & {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): Float32Array
}

interface Conv2DGradAttrs {
  strides: [number, number] | number
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dataFormat: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

/** A view of a tensor's buffer under another shape (no copy; the kernels read it as a matrix). */
const asShape = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype })

/**
 * The filter gradient of a 2-D convolution (NHWC, float32) as one matmul: the input patches are
 * laid out in JS as a [filterH·filterW·inC, batch·outH·outW] matrix (im2col, transposed, zeros
 * where a patch reaches into the padding), multiplied by dy as [batch·outH·outW, outC] with the
 * WASM backend's matmul, and the [filterH·filterW·inC, outC] product is the filter's shape.
 * tfjs's WASM backend has no kernel for it; its CPU kernel takes ~1.6 s for one 3×3 conv of 8 → 16
 * channels on 64 images of 14×14. Sums run in XNNPACK's order in float32, so the result equals
 * the CPU kernel's (float64 sums) to float32 rounding, not to the bit. Other cases (NCHW, other
 * dtypes) go to `fallback`.
 */
export function conv2dBackpropFilter(matmul: tf.KernelFunc, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as {
      inputs: { x: TensorInfo; dy: TensorInfo }
      attrs: Conv2DGradAttrs & { filterShape: [number, number, number, number] }
      backend: WasmBackend
    }
    const { x, dy } = inputs
    if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args)
    const info = tf.backend_util.computeConv2DInfo(x.shape as never, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast')
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info
    const { top, left } = info.padInfo
    const rows = filterHeight * filterWidth * inChannels
    const cols = batchSize * outHeight * outWidth
    const patches = backend.makeOutput([rows, cols], 'float32')
    try {
      // views after makeOutput: an allocation may grow (and so move) the heap
      const src = backend.typedArrayFromHeap(x)
      const dst = backend.typedArrayFromHeap(patches)
      for (let fh = 0; fh < filterHeight; fh++) {
        for (let fw = 0; fw < filterWidth; fw++) {
          for (let c = 0; c < inChannels; c++) {
            let at = ((fh * filterWidth + fw) * inChannels + c) * cols
            for (let n = 0; n < batchSize; n++) {
              for (let oh = 0; oh < outHeight; oh++) {
                const ih = oh * strideHeight - top + fh
                if (ih < 0 || ih >= inHeight) {
                  dst.fill(0, at, at + outWidth)
                  at += outWidth
                  continue
                }
                const rowStart = (n * inHeight + ih) * inWidth
                for (let ow = 0; ow < outWidth; ow++) {
                  const iw = ow * strideWidth - left + fw
                  dst[at++] = iw < 0 || iw >= inWidth ? 0 : src[(rowStart + iw) * inChannels + c]!
                }
              }
            }
          }
        }
      }
      const out = matmul({
        inputs: { a: patches, b: asShape(dy, [cols, outChannels]) } as never,
        attrs: { transposeA: false, transposeB: false } as never,
        backend: backend as never,
      }) as TensorInfo
      ;(out as { shape: number[] }).shape = [filterHeight, filterWidth, inChannels, outChannels]
      return out as never
    } finally {
      backend.disposeData(patches.dataId)
    }
  }
}

/**
 * The input gradient of a 2-D convolution (NHWC, float32): dy as [batch·outH·outW, outC] times the
 * filter as [filterH·filterW·inC, outC] transposed gives each output position's patch gradient,
 * which JS adds back into the input's shape (col2im; a pixel in several patches sums their
 * gradients in float32). tfjs's WASM kernel computes the same sums in a direct loop, several
 * times slower on the shapes of a small CNN. Other cases go to `fallback`.
 */
export function conv2dBackpropInput(matmul: tf.KernelFunc, fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as {
      inputs: { dy: TensorInfo; filter: TensorInfo }
      attrs: Conv2DGradAttrs & { inputShape: [number, number, number, number] }
      backend: WasmBackend
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
      const src = backend.typedArrayFromHeap(patchGrads)
      const dst = backend.typedArrayFromHeap(dx)
      dst.fill(0)
      let at = 0
      for (let n = 0; n < batchSize; n++) {
        for (let oh = 0; oh < outHeight; oh++) {
          for (let ow = 0; ow < outWidth; ow++) {
            for (let fh = 0; fh < filterHeight; fh++) {
              const ih = oh * strideHeight - top + fh
              if (ih < 0 || ih >= inHeight) {
                at += filterWidth * inChannels
                continue
              }
              for (let fw = 0; fw < filterWidth; fw++) {
                const iw = ow * strideWidth - left + fw
                if (iw < 0 || iw >= inWidth) {
                  at += inChannels
                  continue
                }
                const base = ((n * inHeight + ih) * inWidth + iw) * inChannels
                for (let c = 0; c < inChannels; c++) dst[base + c]! += src[at++]!
              }
            }
          }
        }
      }
      return dx as never
    } finally {
      backend.disposeData(patchGrads.dataId)
    }
  }
}
