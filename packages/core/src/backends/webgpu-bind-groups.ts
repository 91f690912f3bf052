/**
 * A bind-group cache for tfjs's WebGPU backend. tfjs creates a fresh bind group for every dispatch
 * (`createBindGroup` on `pipeline.getBindGroupLayout(0)`, itself a new layout object per call),
 * about 12 µs of host time each on Dawn, while a training step binds the same buffers to the same
 * pipelines step after step: its tensors come from a size-keyed buffer pool, so the same buffer
 * objects recur. A bind group only references its buffers (never their contents), so handing back
 * the group made earlier for the same layout, buffers, offsets and sizes is always equivalent.
 *
 * Installed on one device, by replacing three of its methods on the instance:
 * - `createComputePipeline` / `createComputePipelineAsync`: each pipeline's `getBindGroupLayout`
 *   answers the same layout object for the same index, so layouts can be cache keys;
 * - `createBindGroup`: a descriptor whose entries are all buffer bindings is looked up by layout
 *   and (binding, buffer, offset, size) per entry; anything else goes straight through.
 * Cached groups are dropped least recently used past `capacity`, so a group holding a destroyed
 * buffer (tfjs never binds one again) is eventually let go.
 */

interface BufferBinding {
  readonly buffer: object
  readonly offset?: number
  readonly size?: number
}
interface BindGroupDescriptor {
  readonly layout: object
  readonly entries: readonly { readonly binding: number; readonly resource: unknown }[]
}
interface PipelineLike {
  getBindGroupLayout(index: number): object
}
interface CachedDevice {
  createBindGroup(descriptor: BindGroupDescriptor): unknown
  createComputePipeline(descriptor: unknown): PipelineLike
  createComputePipelineAsync?(descriptor: unknown): Promise<PipelineLike>
}

export interface BindGroupCacheStats {
  hits: number
  misses: number
  /** Descriptors with a non-buffer entry (textures, samplers), not cached. */
  passedThrough: number
}

const installed = new WeakMap<object, BindGroupCacheStats>()
export const DEFAULT_BIND_GROUP_CACHE_CAPACITY = 4096

/** Installs the cache on `device` (once; a second call returns the same statistics). */
export function installBindGroupCache(device: object, capacity = DEFAULT_BIND_GROUP_CACHE_CAPACITY): BindGroupCacheStats {
  const existing = installed.get(device)
  if (existing) return existing
  const d = device as CachedDevice
  const stats: BindGroupCacheStats = { hits: 0, misses: 0, passedThrough: 0 }

  const stableLayouts = (pipeline: PipelineLike): PipelineLike => {
    const original = pipeline.getBindGroupLayout.bind(pipeline)
    const layouts = new Map<number, object>()
    pipeline.getBindGroupLayout = (index: number) => {
      let layout = layouts.get(index)
      if (!layout) layouts.set(index, (layout = original(index)))
      return layout
    }
    return pipeline
  }
  const createComputePipeline = d.createComputePipeline.bind(d)
  d.createComputePipeline = (descriptor) => stableLayouts(createComputePipeline(descriptor))
  if (d.createComputePipelineAsync) {
    const createAsync = d.createComputePipelineAsync.bind(d)
    d.createComputePipelineAsync = async (descriptor) => stableLayouts(await createAsync(descriptor))
  }

  // Small integer ids for objects, so a key is a short string; WeakMap: an id never keeps its object.
  const ids = new WeakMap<object, number>()
  let nextId = 0
  const idOf = (o: object): number => {
    let id = ids.get(o)
    if (id === undefined) ids.set(o, (id = nextId++))
    return id
  }
  const groups = new Map<string, unknown>()
  // Through the prototype at call time, so call counters wrapped around it (webgpu-counters.ts) see each miss.
  const proto = Object.getPrototypeOf(d) as CachedDevice
  const createBindGroup = (descriptor: BindGroupDescriptor) => proto.createBindGroup.call(d, descriptor)
  d.createBindGroup = (descriptor) => {
    let key = `${idOf(descriptor.layout)}`
    for (const { binding, resource } of descriptor.entries) {
      const r = resource as Partial<BufferBinding> | null
      if (!r || typeof r !== 'object' || !r.buffer || typeof r.buffer !== 'object') {
        stats.passedThrough++
        return createBindGroup(descriptor)
      }
      key += `|${binding}:${idOf(r.buffer)}:${r.offset ?? 0}:${r.size ?? '*'}`
    }
    const cached = groups.get(key)
    if (cached !== undefined) {
      stats.hits++
      groups.delete(key) // re-inserted last: Map order is the recency order
      groups.set(key, cached)
      return cached
    }
    stats.misses++
    const group = createBindGroup(descriptor)
    groups.set(key, group)
    if (groups.size > capacity) groups.delete(groups.keys().next().value as string)
    return group
  }
  installed.set(device, stats)
  return stats
}

/** The cache's statistics on `device`, or null when it is not installed there. */
export function bindGroupCacheStats(device: object): BindGroupCacheStats | null {
  return installed.get(device) ?? null
}
