import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { installComparisonGradients } from './comparison-gradients.js'
import { webgpuOptionsSchema, type WebgpuOptions } from './dawn-settings.js'
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from './wasm-tuning.js'
import { startWebgpuBackend, type WebgpuAdapterInfo } from './webgpu.js'
import { BackendError } from '../errors.js'
import { parseOptions } from '../parse-options.js'
import { isInstalled } from './installed.js'
import { quietCpuBanner, withoutAddedProcessListeners } from './process-listeners.js'

export const BACKEND_NAMES = ['auto', 'tensorflow', 'wasm', 'cpu', 'webgpu'] as const
export type BackendName = (typeof BACKEND_NAMES)[number]

/** The backend a run actually used, recorded in every result. */
export interface BackendInfo {
  /** What the run asked for. */
  readonly requested: BackendName
  /** What tfjs ran on: 'tensorflow' | 'wasm' | 'cpu' | 'webgpu'. */
  readonly name: string
  /** WASM only: whether converge's kernel fixes were installed. */
  readonly tunedWasm?: boolean
  /** 'tensorflow' only: the native package that provided it. */
  readonly nativePackage?: string
  /** WebGPU only: the adapter (vendor, device, whether it is a CPU fallback adapter) and Dawn's settings. */
  readonly adapter?: WebgpuAdapterInfo
  /** 'auto' only: the backends it passed over because they could not start, each with the reason. */
  readonly skipped?: readonly string[]
  readonly tfjsVersion: string
}

export const useBackendOptionsSchema = z
  .object({
    /** WASM: install converge's kernel fixes (default true). Set false to compare with stock tfjs. */
    tunedWasm: z.boolean().default(true),
    /** WebGPU: Dawn's flags and feature level (default: from the environment, see docs/guide.md). */
    webgpu: webgpuOptionsSchema.optional(),
  })
  .strict()

export interface UseBackendOptions {
  readonly tunedWasm?: boolean
  readonly webgpu?: WebgpuOptions
}

// Before any tensor a user's script makes on the default (CPU) backend, too.
quietCpuBanner()

const requestSchema = z.object({ backend: z.enum(BACKEND_NAMES) })


const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const

const NATIVE_HELP =
  'install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (NVIDIA GPU: CUDA 11.2 with cuDNN 8.1, Linux x64) at version 4.22.0 ' +
  'beside @converge/core; their install script downloads libtensorflow 2.9.1 from storage.googleapis.com, so it needs internet ' +
  '(or TFJS_NODE_CDN_STORAGE pointing at a mirror)'

const firstLine = (e: unknown): string => String((e as Error)?.message ?? e).split('\n')[0] as string

let active: BackendInfo | null = null

async function startNative(requested: BackendName): Promise<BackendInfo> {
  const errors: string[] = []
  for (const pkg of NATIVE_PACKAGES) {
    if (!isInstalled(pkg)) continue
    try {
      await import(/* @vite-ignore */ pkg)
    } catch (e) {
      errors.push(`${pkg} is installed but failed to load: ${firstLine(e)}`)
      continue
    }
    if (await tf.setBackend('tensorflow')) {
      await tf.ready()
      return { requested, name: 'tensorflow', nativePackage: pkg, tfjsVersion: tf.version.tfjs }
    }
    errors.push(`${pkg} loaded but tfjs could not start its 'tensorflow' backend`)
  }
  const why = errors.length ? errors.join('; ') : 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed'
  throw new BackendError(`backend 'tensorflow' cannot start: ${why}. To use it, ${NATIVE_HELP}.`)
}

async function startWasm(requested: BackendName, tune: boolean): Promise<BackendInfo> {
  // The WASM module's Emscripten glue adds process-level error listeners as it loads and initialises: removed (process-listeners.ts).
  const started = await withoutAddedProcessListeners(async () => {
    try {
      await import('@tensorflow/tfjs-backend-wasm')
    } catch (e) {
      throw new BackendError(
        `backend 'wasm' cannot start: @tensorflow/tfjs-backend-wasm failed to load (${firstLine(e)}). ` +
          'It is a dependency of @converge/core; reinstall with `pnpm install`.',
      )
    }
    if (!(await tf.setBackend('wasm'))) return false
    await tf.ready()
    return true
  })
  if (!started) {
    throw new BackendError("backend 'wasm' cannot start: tfjs could not initialise the WASM module (tfjs's warning above gives the reason)")
  }
  if (tune) installWasmKernelFixes()
  else uninstallWasmKernelFixes()
  return { requested, name: 'wasm', tunedWasm: tune, tfjsVersion: tf.version.tfjs }
}

async function startCpu(requested: BackendName): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new BackendError("backend 'cpu' cannot start")
  await tf.ready()
  return { requested, name: 'cpu', tfjsVersion: tf.version.tfjs }
}

async function startWebgpu(requested: BackendName, options: WebgpuOptions | undefined): Promise<BackendInfo> {
  const adapter = await startWebgpuBackend(options)
  return { requested, name: 'webgpu', adapter, tfjsVersion: tf.version.tfjs }
}

/** `auto`: the native binding when installed (an installed one that fails is an error), else tuned WASM, else CPU. */
async function startAuto(tune: boolean): Promise<BackendInfo> {
  if (NATIVE_PACKAGES.some(isInstalled)) return startNative('auto')
  try {
    return await startWasm('auto', tune)
  } catch (e) {
    if (!(e instanceof BackendError)) throw e
    return { ...(await startCpu('auto')), skipped: [e.message] }
  }
}

/**
 * Switches tfjs to `requested` and reports what runs. `auto` takes the native binding when
 * installed, else WASM (tuned), else CPU. A backend that is asked for by name and cannot start
 * is a BackendError that says how to get it, never a silent fallback. Every call also registers
 * zero gradients for comparison ops (see comparison-gradients.ts). Cheap when nothing changes.
 */
export async function useBackend(requested: BackendName = 'auto', options: UseBackendOptions = {}): Promise<BackendInfo> {
  const { backend } = parseOptions(requestSchema, { backend: requested }, 'backend options')
  const o = parseOptions(useBackendOptionsSchema, options, 'backend options')
  installComparisonGradients()
  quietCpuBanner()
  let info: BackendInfo
  switch (backend) {
    case 'tensorflow':
      info = await startNative(backend)
      break
    case 'wasm':
      info = await startWasm(backend, o.tunedWasm)
      break
    case 'cpu':
      info = await startCpu(backend)
      break
    case 'webgpu':
      info = await startWebgpu(backend, o.webgpu)
      break
    case 'auto':
      info = await startAuto(o.tunedWasm)
      break
  }
  active = info
  return info
}

/** The backend converge last started, if tfjs still runs on it (null after a switch it did not make). */
export function activeBackend(): BackendInfo | null {
  if (!active || tf.getBackend() !== active.name) return null
  return active.name === 'wasm' ? { ...active, tunedWasm: wasmKernelFixesInstalled() } : active
}
