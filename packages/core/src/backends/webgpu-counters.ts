/**
 * Counts the WebGPU calls that cost host time per training step (dispatches, bind groups, uniform
 * writes, submits), by wrapping the methods on Dawn's classes: every device, pass and queue in the
 * process is counted while the counter is on. For benchmarks and tests; WebGPU must have started
 * (the classes are globals that useBackend('webgpu') installs).
 */

export interface WebgpuCallCounts {
  dispatches: number
  bindGroups: number
  writeBuffers: number
  submits: number
}

export interface WebgpuCallCounter {
  readonly counts: WebgpuCallCounts
  /** Sets every count back to 0. */
  reset(): void
  /** Unwraps the methods. */
  stop(): void
}

type Proto = Record<string, (...args: unknown[]) => unknown>

const WRAPPED: readonly { global: string; method: string; count: keyof WebgpuCallCounts }[] = [
  { global: 'GPUComputePassEncoder', method: 'dispatchWorkgroups', count: 'dispatches' },
  { global: 'GPUDevice', method: 'createBindGroup', count: 'bindGroups' },
  { global: 'GPUQueue', method: 'writeBuffer', count: 'writeBuffers' },
  { global: 'GPUQueue', method: 'submit', count: 'submits' },
]

export function countWebgpuCalls(): WebgpuCallCounter {
  const counts: WebgpuCallCounts = { dispatches: 0, bindGroups: 0, writeBuffers: 0, submits: 0 }
  const restore: (() => void)[] = []
  for (const { global, method, count } of WRAPPED) {
    const cls = (globalThis as Record<string, unknown>)[global] as { prototype: Proto } | undefined
    if (!cls) throw new Error(`countWebgpuCalls: ${global} is not defined; start the webgpu backend first`)
    const original = cls.prototype[method]!
    cls.prototype[method] = function (this: unknown, ...args: unknown[]) {
      counts[count]++
      return original.apply(this, args)
    }
    restore.push(() => (cls.prototype[method] = original))
  }
  return {
    counts,
    reset: () => void (Object.keys(counts) as (keyof WebgpuCallCounts)[]).forEach((k) => (counts[k] = 0)),
    stop: () => restore.splice(0).forEach((r) => r()),
  }
}
