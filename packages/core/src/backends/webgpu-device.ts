import * as tf from '@tensorflow/tfjs'

/**
 * The parts of tfjs's WebGPU backend (`WebGPUBackend` in @tensorflow/tfjs-backend-webgpu 4.22)
 * that a custom kernel needs to record work into the same command stream as tfjs's own kernels.
 * Typed here, duck-typed at runtime: the backend package is an optional dependency and is never
 * imported statically. Only the handful of WebGPU calls used by core's kernels are declared.
 */

export interface GpuBufferLike {
  readonly size: number
  readonly usage: number
}
export interface GpuBindGroupLayoutLike {
  readonly label?: string
}
export interface GpuComputePipelineLike {
  getBindGroupLayout(index: number): GpuBindGroupLayoutLike
}
export interface GpuComputePassLike {
  setPipeline(pipeline: GpuComputePipelineLike): void
  setBindGroup(index: number, group: unknown): void
  dispatchWorkgroups(x: number, y?: number, z?: number): void
  end(): void
}
export interface GpuDeviceLike {
  createShaderModule(descriptor: { code: string; label?: string }): unknown
  createComputePipeline(descriptor: { layout: 'auto'; compute: { module: unknown; entryPoint: string }; label?: string }): GpuComputePipelineLike
  createBindGroup(descriptor: { layout: GpuBindGroupLayoutLike; entries: { binding: number; resource: { buffer: GpuBufferLike; offset?: number; size?: number } }[] }): unknown
  readonly limits: { readonly maxComputeWorkgroupsPerDimension: number }
}

interface TensorData {
  values: ArrayLike<number> | null
  resource: unknown
  dtype: tf.DataType
  refCount: number
}

export interface WebgpuBackendLike {
  readonly device: GpuDeviceLike
  readonly queue: { writeBuffer(buffer: GpuBufferLike, offset: number, data: ArrayBufferView | ArrayBuffer): void }
  readonly tensorMap: { get(dataId: object): TensorData | undefined }
  readonly bufferManager: { acquireBuffer(size: number, usage: number): GpuBufferLike }
  commandEncoder: {
    beginComputePass(descriptor?: object): GpuComputePassLike
    copyBufferToBuffer(source: GpuBufferLike, sourceOffset: number, destination: GpuBufferLike, destinationOffset: number, size: number): void
  } | null
  computePassEncoder: GpuComputePassLike | null
  dispatchCountInPass: number
  commandQueueOwnedIds: WeakSet<object>
  uniformPendingDisposal: GpuBufferLike[]
  uploadToGPU(dataId: object): void
  ensureCommandEncoderReady(): void
  endComputePassEncoder(): void
  submitQueue(): void
  refCount(dataId: object): number
}

/** tfjs's active backend when it is the WebGPU backend with the internals listed above, else null. */
export function activeWebgpuBackend(): WebgpuBackendLike | null {
  if (tf.getBackend() !== 'webgpu') return null
  const b = tf.backend() as unknown as Partial<WebgpuBackendLike>
  const ok =
    b.device !== undefined &&
    typeof b.uploadToGPU === 'function' &&
    typeof b.ensureCommandEncoderReady === 'function' &&
    typeof b.endComputePassEncoder === 'function' &&
    typeof b.submitQueue === 'function' &&
    b.tensorMap !== undefined &&
    b.bufferManager !== undefined &&
    b.commandQueueOwnedIds instanceof WeakSet &&
    Array.isArray(b.uniformPendingDisposal)
  return ok ? (b as WebgpuBackendLike) : null
}

/** The GPU buffer behind a tensor, uploaded first if its values were still on the CPU. */
export function gpuBuffer(backend: WebgpuBackendLike, t: tf.Tensor): GpuBufferLike {
  backend.uploadToGPU(t.dataId)
  return backend.tensorMap.get(t.dataId)!.resource as GpuBufferLike
}

/**
 * Opens (or continues) tfjs's compute pass for a dispatch of ours, so our dispatches and tfjs's
 * share passes and submits exactly as tfjs's own do; `after` counts them towards tfjs's submit batch.
 */
export function computePass(backend: WebgpuBackendLike): GpuComputePassLike {
  backend.ensureCommandEncoderReady()
  if (!backend.computePassEncoder) backend.computePassEncoder = backend.commandEncoder!.beginComputePass({})
  return backend.computePassEncoder
}

export function countDispatch(backend: WebgpuBackendLike): void {
  backend.dispatchCountInPass++
  if ((tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number) <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder()
    backend.submitQueue()
  }
}

/**
 * A uniform buffer holding `data`, from tfjs's pool and returned to it at the next submit. A fresh
 * one per use: `queue.writeBuffer` takes effect before commands recorded but not yet submitted, so
 * rewriting a buffer that such a command reads would change what that command sees.
 */
export function uniformBuffer(backend: WebgpuBackendLike, data: Float32Array): GpuBufferLike {
  const usage = (globalThis as unknown as { GPUBufferUsage: { UNIFORM: number; COPY_DST: number } }).GPUBufferUsage
  const buffer = backend.bufferManager.acquireBuffer(data.byteLength, usage.UNIFORM | usage.COPY_DST)
  backend.queue.writeBuffer(buffer, 0, data)
  backend.uniformPendingDisposal.push(buffer)
  return buffer
}

/**
 * A compute pipeline for `code`, made once per device and shader text (layout 'auto'), with its
 * bind-group layout. For kernels recorded by hand with `computePass`, outside tfjs's own cache.
 */
export interface CachedPipeline {
  readonly pipeline: GpuComputePipelineLike
  readonly layout: GpuBindGroupLayoutLike
}
const pipelineCache = new WeakMap<GpuDeviceLike, Map<string, CachedPipeline>>()
export function cachedPipeline(device: GpuDeviceLike, code: string, label: string): CachedPipeline {
  let byCode = pipelineCache.get(device)
  if (!byCode) pipelineCache.set(device, (byCode = new Map()))
  let p = byCode.get(code)
  if (!p) {
    const module = device.createShaderModule({ code, label })
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label })
    p = { pipeline, layout: pipeline.getBindGroupLayout(0) }
    byCode.set(code, p)
  }
  return p
}

/**
 * Gives a variable its own GPU buffer before a kernel writes it in place: a variable shares its
 * buffer with the tensor it was made from, a checkpoint's clone with the slot it copied, and
 * writing through one would change the other. A no-op when the buffer is the variable's alone.
 */
export function ownBuffer(backend: WebgpuBackendLike, t: tf.Variable): void {
  if (backend.refCount(t.dataId) <= 1) return
  const copy = tf.mul(t, 1)
  t.assign(copy)
  copy.dispose()
}

/**
 * Tells tfjs that a kernel recorded by hand reads or writes these tensors' buffers: they are kept
 * alive until the commands are submitted, and `written` ones lose any values tfjs cached on the CPU.
 */
export function recordUse(backend: WebgpuBackendLike, read: readonly tf.Tensor[], written: readonly tf.Tensor[]): void {
  for (const t of read) backend.commandQueueOwnedIds.add(t.dataId)
  for (const t of written) {
    backend.commandQueueOwnedIds.add(t.dataId)
    backend.tensorMap.get(t.dataId)!.values = null
  }
}
