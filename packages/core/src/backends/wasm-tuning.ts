import * as tf from '@tensorflow/tfjs'
import { BackendError } from '../errors.js'
import { runOnCpu, type DataBackend, type TensorInfo } from './cpu-fallback.js'
import { conv2dBackpropFilter, conv2dBackpropInput } from './wasm-conv-gradients.js'
import { sharedCast, sharedIdentity } from './wasm-identity.js'
import { simdMatmul } from './wasm-simd-matmul.js'
import { heapConcat, heapSlice, heapSplitV } from './wasm-slice.js'
import { SIMD_BINARY_KERNELS, simdBinary } from './wasm-binary-ops.js'
import { broadcastTile } from './wasm-broadcast-tile.js'
import { maxPoolGrad } from './wasm-max-pool-grad.js'
import { heapPad } from './wasm-pad.js'
import { integerPow } from './wasm-pow.js'
import { simdSign } from './wasm-sign.js'
import { leadingAxesSum } from './wasm-sum.js'
import { sumAfterTranspose, tiledTranspose } from './wasm-transpose.js'

/**
 * Kernel fixes for tfjs 4.22's WASM backend in Node (measurements in docs/performance.md):
 * - BatchMatMul and _FusedMatMul with a transpose flag run 10-28x slower than an explicit
 *   transpose followed by a plain matmul, and every matmul gradient sets a flag;
 * - kernels WASM lacks, or gets wrong, run on the CPU backend instead (CPU_FALLBACK_KERNELS);
 * - the conv2d gradients and MaxPoolGrad run over the WASM heap, in SIMD kernels plus the matmul
 *   (JS_WASM_KERNELS; wasm-conv-gradients.ts, wasm-max-pool-grad.ts): the CPU fallback took
 *   seconds per step for a small CNN;
 * - a float32 matrix transpose runs tile by tile in JS, 3-10x faster for [512, n] (wasm-transpose.ts),
 *   also where Sum moves its reduced axes innermost (TILED_TRANSPOSE_KERNELS);
 * - Sum over leading axes (bias gradients) runs as SIMD column sums, no transpose (wasm-sum.ts);
 * - float32 BatchMatMul runs as a WebAssembly SIMD kernel, the same float32 operations in the
 *   same order as tfjs's scalar loop (batches: 7-19x faster) or XNNPACK (one matrix with b up to
 *   512 KiB: 1.0-1.6x) (wasm-simd-matmul.ts);
 * - Add, Sub, Multiply, RealDiv, Minimum and Maximum of float32 tensors, broadcasts included, run
 *   as SIMD kernels: one float32 operation (or comparison and pick) per element as in tfjs, faster
 *   where tfjs broadcasts slowly (SIMD_BINARY_KERNELS; wasm-binary-ops.ts);
 * - Slice, SplitV, Concat, PadV2 and Tile (where it broadcasts) copy float32/int32 words on the
 *   heap in WebAssembly kernels (Slice without copying the whole input out of it first)
 *   (HEAP_SLICE_KERNELS; wasm-slice.ts, wasm-pad.ts, wasm-broadcast-tile.ts);
 * - Sign of float32 tensors runs as a SIMD kernel with tfjs's WASM results (0 below 2⁻²³ in
 *   magnitude and for NaN) (SIMD_UNARY_KERNELS; wasm-sign.ts);
 * - Pow by an integer exponent (|n| ≤ 8) multiplies in float64 and rounds once to float32: 18-30x
 *   faster than tfjs's per-element powf, and the nearest float32 where powf is off by one (0.07%
 *   of elements), so these results change in the last bit (wasm-pow.ts; no recorded result uses Pow);
 * - Identity, and Cast to the same dtype, share the input's buffer instead of copying it
 *   (wasm-identity.ts): the engine clones every tensor it saves for the backward pass through
 *   Identity, and gradients cast their operands (SHARED_BUFFER_KERNELS);
 * Installed once, idempotent; `uninstallWasmKernelFixes` restores stock tfjs for comparison.
 */

/** Kernels that run on the CPU backend when asked for on WASM, and why. */
export const CPU_FALLBACK_REASONS = {
  UnsortedSegmentSum: 'not in wasm; tf.gather needs it for its gradient',
  DepthwiseConv2dNativeBackpropFilter: 'not in wasm: the depthwiseConv2d filter gradient',
  DepthwiseConv2dNativeBackpropInput: 'not in wasm: the depthwiseConv2d input gradient',
  Einsum: 'not in wasm',
} as const satisfies Record<string, string>

export const CPU_FALLBACK_KERNELS = Object.keys(CPU_FALLBACK_REASONS) as (keyof typeof CPU_FALLBACK_REASONS)[]

/**
 * Kernels converge runs over the WASM heap (JS and SIMD kernels, with the matmul where there is
 * one) for NHWC float32, and why; the cases they leave out run on the CPU backend
 * (Conv2DBackpropFilter, MaxPoolGrad) or on tfjs's own WASM kernel (Conv2DBackpropInput).
 */
export const JS_WASM_KERNEL_REASONS = {
  Conv2DBackpropFilter: 'not in wasm (the conv2d filter gradient); the CPU kernel took seconds per step for a small CNN',
  Conv2DBackpropInput: "wasm's direct loop is several times slower than a matmul plus col2im",
  MaxPoolGrad: "wasm's is wrong when every value in a window is negative (routes to the window's first element); the CPU kernel is slow",
} as const satisfies Record<string, string>

export const JS_WASM_KERNELS = Object.keys(JS_WASM_KERNEL_REASONS) as (keyof typeof JS_WASM_KERNEL_REASONS)[]

/** Matmul kernels whose transpose flags are replaced by an explicit transpose. */
export const TRANSPOSE_FREE_KERNELS = ['BatchMatMul', '_FusedMatMul'] as const

/** Kernels that return their input's buffer, reference counted, instead of a copy (Cast: to its own dtype; wasm-identity.ts). */
export const SHARED_BUFFER_KERNELS = ['Identity', 'Cast'] as const

/** Kernels that copy float32/int32 words on the WASM heap: slices, concatenations, pads and broadcasting tiles (wasm-slice.ts, wasm-pad.ts, wasm-broadcast-tile.ts). */
export const HEAP_SLICE_KERNELS = ['Slice', 'SplitV', 'Concat', 'PadV2', 'Tile'] as const

/** Unary kernels run as SIMD kernels with tfjs's WASM results (wasm-sign.ts). */
export const SIMD_UNARY_KERNELS = ['Sign'] as const

/** Pow: integer exponents multiplied in float64 and rounded once, the nearest float32 (wasm-pow.ts; not stock's numbers). */
export const INTEGER_POW_KERNELS = ['Pow'] as const

/** Kernels replaced so that matrix transposes are tiled (wasm-transpose.ts). */
export const TILED_TRANSPOSE_KERNELS = ['Transpose', 'Sum'] as const

/** Stock configs (undefined where wasm had none) of every kernel the fixes replaced. */
const stock = new Map<string, tf.KernelConfig | undefined>()
let installed = false

function replaceWasmKernel(name: string, kernelFunc: tf.KernelFunc): void {
  const original = tf.getKernel(name, 'wasm')
  stock.set(name, original)
  if (original) tf.unregisterKernel(name, 'wasm')
  // Keep the stock setup/dispose hooks: the replacement calls the stock kernel function, which
  // relies on them (they bind the WASM exports when the backend starts).
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: original?.setupFunc, disposeFunc: original?.disposeFunc })
}

/** The kernel registered for wasm now (tfjs's, or one the fixes installed above it); a BackendError if there is none. */
function wasmKernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm')
  if (!config) throw new BackendError(`WASM kernel fixes: the wasm backend has no ${name} kernel`)
  return config
}

/** Runs the stock matmul kernel on explicitly transposed operands instead of with transpose flags. */
export function withoutTransposeFlags(matmul: tf.KernelConfig, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as {
      inputs: { a: TensorInfo; b: TensorInfo } & Record<string, TensorInfo | undefined>
      attrs: { transposeA: boolean; transposeB: boolean } & Record<string, unknown>
      backend: DataBackend
    }
    if (!attrs.transposeA && !attrs.transposeB) return matmul.kernelFunc(args)
    const swapLastTwo = (x: TensorInfo): TensorInfo => {
      const rank = x.shape.length
      const perm = [...Array(rank).keys()]
      perm[rank - 2] = rank - 1
      perm[rank - 1] = rank - 2
      return transpose({ inputs: { x } as never, attrs: { perm } as never, backend }) as TensorInfo
    }
    const a = attrs.transposeA ? swapLastTwo(inputs.a) : inputs.a
    const b = attrs.transposeB ? swapLastTwo(inputs.b) : inputs.b
    try {
      return matmul.kernelFunc({ inputs: { ...inputs, a, b } as never, attrs: { ...attrs, transposeA: false, transposeB: false } as never, backend })
    } finally {
      // A transpose that moves no data (a size-1 axis) returns the input's buffer with its
      // reference count raised; disposeData lowers it again, so this is right in both cases.
      if (a !== inputs.a) backend.disposeData(a.dataId)
      if (b !== inputs.b) backend.disposeData(b.dataId)
    }
  }
}

/**
 * Installs the WASM kernel fixes (and the comparison gradients, which every backend gets anyway).
 * Call after `await useBackend('wasm')` (or `tf.setBackend('wasm')` + `tf.ready()`); a second
 * call does nothing.
 */
export function installWasmKernelFixes(): void {
  if (installed) return
  if (!tf.engine().registry.wasm) {
    throw new BackendError("WASM kernel fixes: the wasm backend is not started; call `await useBackend('wasm')` first")
  }
  const tiled = tiledTranspose(wasmKernel('Transpose'))
  const sum = wasmKernel('Sum')
  replaceWasmKernel('Transpose', tiled)
  replaceWasmKernel('Sum', leadingAxesSum(sumAfterTranspose(sum, tiled)))
  for (const name of TRANSPOSE_FREE_KERNELS) {
    const transposeFree = withoutTransposeFlags(wasmKernel(name), tiled)
    replaceWasmKernel(name, name === 'BatchMatMul' ? simdMatmul(transposeFree, tiled) : transposeFree)
  }
  for (const name of CPU_FALLBACK_KERNELS) replaceWasmKernel(name, runOnCpu(name))
  const slice = heapSlice(wasmKernel('Slice').kernelFunc)
  replaceWasmKernel('Slice', slice)
  replaceWasmKernel('SplitV', heapSplitV(slice, wasmKernel('SplitV').kernelFunc))
  replaceWasmKernel('Concat', heapConcat(wasmKernel('Concat').kernelFunc))
  replaceWasmKernel('PadV2', heapPad(wasmKernel('PadV2').kernelFunc))
  replaceWasmKernel('Tile', broadcastTile(wasmKernel('Tile').kernelFunc))
  for (const name of SIMD_BINARY_KERNELS) replaceWasmKernel(name, simdBinary(name, wasmKernel(name).kernelFunc))
  for (const name of SIMD_UNARY_KERNELS) replaceWasmKernel(name, simdSign(wasmKernel(name).kernelFunc))
  for (const name of INTEGER_POW_KERNELS) replaceWasmKernel(name, integerPow(wasmKernel(name).kernelFunc))
  replaceWasmKernel('Identity', sharedIdentity(wasmKernel('Identity').kernelFunc))
  replaceWasmKernel('Cast', sharedCast(wasmKernel('Cast').kernelFunc))
  // The gradients below call the matmul as installed above (transpose-free) and fall back to the
  // CPU kernel, or to tfjs's own WASM kernel, for the cases they leave out.
  const tunedMatmul = wasmKernel('BatchMatMul').kernelFunc
  const stockInputGrad = wasmKernel('Conv2DBackpropInput')
  replaceWasmKernel('Conv2DBackpropFilter', conv2dBackpropFilter(runOnCpu('Conv2DBackpropFilter')))
  replaceWasmKernel('Conv2DBackpropInput', conv2dBackpropInput(tunedMatmul, stockInputGrad.kernelFunc))
  replaceWasmKernel('MaxPoolGrad', maxPoolGrad(runOnCpu('MaxPoolGrad')))
  installed = true
}

/** Restores tfjs's stock WASM kernels (for side-by-side comparison). Safe to call when not installed. */
export function uninstallWasmKernelFixes(): void {
  if (!installed) return
  for (const [name, config] of stock) {
    tf.unregisterKernel(name, 'wasm')
    if (config) tf.registerKernel(config)
  }
  stock.clear()
  installed = false
}

export function wasmKernelFixesInstalled(): boolean {
  return installed
}
