import * as tf from '@tensorflow/tfjs'
import { BackendError } from '../errors.js'

export interface WebgpuAdapterInfo {
  readonly vendor: string
  readonly device: string
  readonly description: string
  /** True for a software adapter (llvmpipe/lavapipe/SwiftShader): a CPU, never reported as a GPU. */
  readonly fallback: boolean
}

const INSTALL_HELP =
  'install the optional packages `webgpu@0.6.2` and `@tensorflow/tfjs-backend-webgpu@4.22.0` beside @converge/core ' +
  '(pnpm add webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0) and a Vulkan driver (NVIDIA/AMD/Intel drivers, or ' +
  "Mesa's lavapipe >= 25 for a CPU fallback adapter)"

async function importOptional(name: string): Promise<Record<string, unknown>> {
  try {
    return (await import(/* @vite-ignore */ name)) as Record<string, unknown>
  } catch (e) {
    throw new BackendError(`backend 'webgpu' cannot start: ${name} is not installed or failed to load (${(e as Error).message.split('\n')[0]}). To use it, ${INSTALL_HELP}.`)
  }
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|cpu/i

let started: WebgpuAdapterInfo | null = null

/**
 * Starts tfjs's WebGPU backend in Node through Dawn (the `webgpu` package). `navigator.gpu` has
 * to exist before `@tensorflow/tfjs-backend-webgpu` is imported, or the backend never registers.
 * Flags for Dawn come from CONVERGE_DAWN_FLAGS (comma-separated, default `backend=vulkan`).
 */
export async function startWebgpuBackend(): Promise<WebgpuAdapterInfo> {
  if (started && tf.getBackend() === 'webgpu') return started
  const dawn = (await importOptional('webgpu')) as { create: (flags: string[]) => GPULike; globals: object }
  Object.assign(globalThis, dawn.globals)
  const flags = (process.env.CONVERGE_DAWN_FLAGS ?? 'backend=vulkan').split(',').filter(Boolean)
  const gpu = dawn.create(flags)
  const adapter = await gpu.requestAdapter()
  if (!adapter) {
    throw new BackendError(`backend 'webgpu' cannot start: Dawn (flags ${flags.join(',')}) found no WebGPU adapter. It needs a Vulkan driver: ${INSTALL_HELP}.`)
  }
  const raw = adapter.info ?? {}
  const description = String(raw.description ?? '')
  const info: WebgpuAdapterInfo = {
    vendor: String(raw.vendor ?? ''),
    device: String(raw.device ?? raw.architecture ?? ''),
    description,
    fallback: Boolean(adapter.isFallbackAdapter) || SOFTWARE.test(`${raw.device ?? ''} ${description}`),
  }
  const g = globalThis as { navigator?: { gpu?: unknown } }
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true })
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true })
  await importOptional('@tensorflow/tfjs-backend-webgpu')
  if (!(await tf.setBackend('webgpu'))) {
    throw new BackendError(`backend 'webgpu' cannot start: tfjs could not initialise it on adapter "${info.vendor} ${info.device}"`)
  }
  await tf.ready()
  started = info
  return info
}

/** Lets Node exit after WebGPU use: Dawn keeps the event loop alive while navigator.gpu is reachable. */
export function releaseWebgpu(): void {
  const g = globalThis as { navigator?: unknown }
  if (g.navigator) delete g.navigator
  started = null
}

interface GPULike {
  requestAdapter(options?: object): Promise<{ info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null>
}
