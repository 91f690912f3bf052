/**
 * `@converge/core/backends`: backend internals for benchmarks and diagnostics — the WASM kernel
 * fixes, CPU fallbacks, comparison gradients and WebGPU (Dawn) settings. A training script needs
 * only `useBackend` and `BackendInfo` from the package root.
 */
export {
  useBackend,
  activeBackend,
  useBackendOptionsSchema,
  BACKEND_NAMES,
  type BackendName,
  type BackendInfo,
  type UseBackendOptions,
} from './use-backend.js'
export {
  installWasmKernelFixes,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
  CPU_FALLBACK_KERNELS,
  CPU_FALLBACK_REASONS,
  JS_WASM_KERNELS,
  JS_WASM_KERNEL_REASONS,
  TRANSPOSE_FREE_KERNELS,
  TILED_TRANSPOSE_KERNELS,
  SHARED_BUFFER_KERNELS,
  HEAP_SLICE_KERNELS,
  INTEGER_POW_KERNELS,
  SIMD_UNARY_KERNELS,
} from './wasm-tuning.js'
export { SIMD_BINARY_KERNELS } from './wasm-binary-ops.js'
export { installComparisonGradients, ZERO_GRADIENT_KERNELS } from './comparison-gradients.js'
export { runOnCpu } from './cpu-fallback.js'
export { releaseWebgpu, webgpuRunning, type WebgpuAdapterInfo } from './webgpu.js'
export {
  resolveDawnSettings,
  resolveMatmulKernel,
  webgpuOptionsSchema,
  DEFAULT_DAWN_FLAGS,
  WEBGPU_FEATURE_LEVELS,
  type DawnSettings,
  type WebgpuOptions,
  type WebgpuFeatureLevel,
} from './dawn-settings.js'
export { WebgpuAdamOptimizer } from './webgpu-adam.js'
export { isLossGuarded, type LossGuardedOptimizer, type OptimizerGradients } from './loss-guard.js'
/** Building blocks for hand-written WGSL kernels recorded into tfjs's command stream (core's fused Adam uses them; so can tricks). */
export {
  activeWebgpuBackend,
  gpuBuffer,
  computePass,
  countDispatch,
  uniformBuffer,
  cachedPipeline,
  ownBuffer,
  recordUse,
  type WebgpuBackendLike,
  type GpuBufferLike,
  type CachedPipeline,
} from './webgpu-device.js'
export { countWebgpuCalls, type WebgpuCallCounter, type WebgpuCallCounts } from './webgpu-counters.js'
export { installBindGroupCache, bindGroupCacheStats, DEFAULT_BIND_GROUP_CACHE_CAPACITY, type BindGroupCacheStats } from './webgpu-bind-groups.js'
export { webgpuSoftmaxCrossEntropy, registerSoftmaxCrossEntropyKernels, SOFTMAX_CE_KERNEL, SOFTMAX_CE_GRAD_KERNEL } from './webgpu-softmax-ce.js'
export { DEFAULT_WEBGPU_TFJS_FLAGS, applyWebgpuTfjsFlags } from './webgpu-tfjs-flags.js'
export { setMatmulKernel, activeMatmulKernel, sgemmCounts, sgemmShader, MATMUL_KERNELS, type MatmulKernel } from './webgpu-sgemm.js'
