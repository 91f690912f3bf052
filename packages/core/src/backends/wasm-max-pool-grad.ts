import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { heapOf, heapOffset, type WasmHeapBackend } from './wasm-heap.js'
import { maxPoolGradKernel } from './wasm-max-pool-grad-kernel.js'


/**
 * MaxPoolGrad for WASM (NHWC float32), over the backend's heap (windows that do not overlap in the
 * SIMD kernel of wasm-max-pool-grad-kernel.ts, overlapping ones in one JS pass): each window's
 * gradient goes to its first maximum (the first element, in row-major window order, that is
 * greater than all before it; a window of NaNs gets none), as tfjs's CPU kernel does. tfjs's
 * WASM kernel routes an all-negative window's gradient to its first element instead, and the CPU
 * kernel run through the fallback costs ~0.1 s for a 28×28×8 map on 64 images. Where windows
 * overlap, a pixel's gradients are summed in float64 in the CPU kernel's order (windows by row,
 * then column) and rounded once, so the result equals the CPU kernel's to the bit.
 */
export function maxPoolGrad(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as {
      inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }
      attrs: { filterSize: [number, number] | number; strides: [number, number] | number; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding; dimRoundingMode?: 'floor' | 'round' | 'ceil' }
      backend: WasmHeapBackend
    }
    const { dy, input } = inputs
    if (input.dtype !== 'float32' || dy.dtype !== 'float32') return fallback(args)
    const info = tf.backend_util.computePool2DInfo(input.shape as never, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode)
    const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info
    const { top, left } = info.padInfo
    const overlapping = strideHeight < filterHeight || strideWidth < filterWidth
    const dx = backend.makeOutput(input.shape, 'float32')
    if (!overlapping) {
      // one gradient per pixel: the SIMD kernel (wasm-max-pool-grad-kernel.ts), same choices and adds
      backend.typedArrayFromHeap(dx).fill(0)
      maxPoolGradKernel(heapOf(backend))(heapOffset(backend, input), heapOffset(backend, dy), heapOffset(backend, dx), batchSize, inHeight, inWidth, channels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, top, left)
      return dx as never
    }
    // views after makeOutput: an allocation may grow (and so move) the heap
    const x = backend.typedArrayFromHeap(input)
    const g = backend.typedArrayFromHeap(dy)
    const out = backend.typedArrayFromHeap(dx)
    // Non-overlapping windows give each pixel at most one gradient: 0 + g is g, rounding-free.
    const sums: Float32Array | Float64Array = overlapping ? new Float64Array(out.length) : out
    if (!overlapping) out.fill(0)
    let at = 0
    for (let n = 0; n < batchSize; n++) {
      const image = n * inHeight * inWidth * channels
      for (let oh = 0; oh < outHeight; oh++) {
        const h0 = oh * strideHeight - top
        const h1 = Math.min(inHeight, h0 + filterHeight)
        for (let ow = 0; ow < outWidth; ow++) {
          const w0 = ow * strideWidth - left
          const w1 = Math.min(inWidth, w0 + filterWidth)
          for (let c = 0; c < channels; c++, at++) {
            let best = Number.NEGATIVE_INFINITY
            let where = -1
            for (let h = Math.max(0, h0); h < h1; h++) {
              for (let w = Math.max(0, w0); w < w1; w++) {
                const i = image + (h * inWidth + w) * channels + c
                const v = x[i]!
                if (v > best) {
                  best = v
                  where = i
                }
              }
            }
            if (where >= 0) sums[where]! += g[at]!
          }
        }
      }
    }
    if (overlapping) out.set(sums)
    return dx as never
  }
}
