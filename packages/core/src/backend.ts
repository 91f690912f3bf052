import * as tf from '@tensorflow/tfjs'
import { BackendError } from './errors.js'

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
  /** The native package that provided 'tensorflow'. */
  readonly nativePackage?: string
  /** WebGPU only: adapter vendor/device, and whether it is a CPU fallback adapter. */
  readonly adapter?: { readonly vendor: string; readonly device: string; readonly description: string; readonly fallback: boolean }
  readonly tfjsVersion: string
}

let active: BackendInfo | null = null

/** Whether a package can be resolved from here, without importing it. */
function isInstalled(specifier: string): boolean {
  try {
    import.meta.resolve(specifier)
    return true
  } catch {
    return false
  }
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const

const NATIVE_HELP =
  'install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA 11.2 with cuDNN 8.1, Linux x64) at version 4.22.0 ' +
  'beside @converge/core; their install downloads libtensorflow 2.9.1 from storage.googleapis.com, so it needs internet ' +
  '(or TFJS_NODE_CDN_STORAGE pointing at a mirror)'

async function startNative(requested: BackendName): Promise<BackendInfo> {
  const errors: string[] = []
  for (const pkg of NATIVE_PACKAGES) {
    if (!isInstalled(pkg)) continue
    try {
      await import(pkg)
    } catch (e) {
      errors.push(`${pkg} is installed but failed to load: ${(e as Error).message.split('\n')[0]}`)
      continue
    }
    if (await tf.setBackend('tensorflow')) {
      await tf.ready()
      return { requested, name: 'tensorflow', nativePackage: pkg, tfjsVersion: tf.version.tfjs }
    }
    errors.push(`${pkg} loaded but tfjs could not start the 'tensorflow' backend`)
  }
  const why = errors.length ? errors.join('; ') : 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed'
  throw new BackendError(`backend 'tensorflow' cannot start: ${why}. To use it, ${NATIVE_HELP}.`)
}

async function startWasm(requested: BackendName, tune: boolean): Promise<BackendInfo> {
  try {
    await import('@tensorflow/tfjs-backend-wasm')
  } catch (e) {
    throw new BackendError(
      `backend 'wasm' cannot start: @tensorflow/tfjs-backend-wasm failed to load (${(e as Error).message}). ` +
        'It is a dependency of @converge/core; reinstall with `pnpm install`.',
    )
  }
  if (!(await tf.setBackend('wasm'))) {
    throw new BackendError("backend 'wasm' cannot start: tfjs could not initialise the WASM module")
  }
  await tf.ready()
  const { installWasmKernelFixes, uninstallWasmKernelFixes } = await import('./backends/wasm-tuning.js')
  if (tune) installWasmKernelFixes()
  else uninstallWasmKernelFixes()
  return { requested, name: 'wasm', tunedWasm: tune, tfjsVersion: tf.version.tfjs }
}

async function startCpu(requested: BackendName): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new BackendError("backend 'cpu' cannot start")
  await tf.ready()
  return { requested, name: 'cpu', tfjsVersion: tf.version.tfjs }
}

async function startWebgpu(requested: BackendName): Promise<BackendInfo> {
  const { startWebgpuBackend } = await import('./backends/webgpu.js')
  const adapter = await startWebgpuBackend()
  return { requested, name: 'webgpu', adapter, tfjsVersion: tf.version.tfjs }
}

export interface UseBackendOptions {
  /** WASM: install converge's kernel fixes (default true). Set false to compare with stock tfjs. */
  readonly tunedWasm?: boolean
}

/**
 * Switches tfjs to `requested` and reports what runs. `auto` takes the native binding when
 * installed, else WASM (tuned), else CPU. A backend that is asked for by name and cannot start
 * is an error, never a silent fallback.
 */
export async function useBackend(requested: BackendName = 'auto', options: UseBackendOptions = {}): Promise<BackendInfo> {
  const tune = options.tunedWasm ?? true
  if (active && (requested === active.requested || requested === active.name) && tf.getBackend() === active.name) {
    if (active.name !== 'wasm' || active.tunedWasm === tune) return { ...active, requested }
  }
  let info: BackendInfo
  switch (requested) {
    case 'tensorflow':
      info = await startNative(requested)
      break
    case 'wasm':
      info = await startWasm(requested, tune)
      break
    case 'cpu':
      info = await startCpu(requested)
      break
    case 'webgpu':
      info = await startWebgpu(requested)
      break
    case 'auto':
      if (NATIVE_PACKAGES.some(isInstalled)) info = await startNative(requested)
      else {
        try {
          info = await startWasm(requested, tune)
        } catch (e) {
          if (!(e instanceof BackendError)) throw e
          info = await startCpu(requested)
        }
      }
      break
    default:
      throw new BackendError(`unknown backend ${JSON.stringify(requested)}; allowed: ${BACKEND_NAMES.join(', ')}`)
  }
  active = info
  return info
}

/** The backend converge last started, if any. */
export function activeBackend(): BackendInfo | null {
  return active && tf.getBackend() === active.name ? active : null
}
