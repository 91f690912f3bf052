import * as tf from '@tensorflow/tfjs'
import { BackendError } from '../errors.js'
import { resolveDawnSettings, resolveMatmulKernel, type DawnSettings, type WebgpuFeatureLevel, type WebgpuOptions } from './dawn-settings.js'
import { isInstalled } from './installed.js'
import { installBindGroupCache } from './webgpu-bind-groups.js'
import { setMatmulKernel } from './webgpu-sgemm.js'
import { applyWebgpuTfjsFlags } from './webgpu-tfjs-flags.js'

/**
 * tfjs's WebGPU backend in Node, through Dawn's Node bindings (the `webgpu` package). Both
 * packages are optional dependencies of @converge/core. Facts this file works around:
 * - `@tensorflow/tfjs-backend-webgpu` registers itself only if `navigator.gpu` exists when it is
 *   first imported, and Node has no `navigator`: the adapter is found first, then `navigator.gpu`
 *   is set, then the backend is imported (once per process; a later import is a no-op).
 * - tfjs requests its adapter with `{ powerPreference }` only; the configured feature level
 *   (`compatibility` for Dawn's OpenGL backend) is added to every request.
 * - tfjs reads the GPU synchronously (`dataSync`) through OffscreenCanvas, which Node lacks: such
 *   reads fail with a BackendError that says to read with `await tensor.data()`.
 * - tfjs-backend-webgpu's flags get core's defaults and then `options.tfjsFlags` on every start
 *   (webgpu-tfjs-flags.ts).
 * - `options.matmul` (else CONVERGE_WEBGPU_MATMUL) picks tfjs's matmul kernels or converge's SGEMM on every start (webgpu-sgemm.ts).
 * - tfjs makes a new bind group for every dispatch; the device gets a bind-group cache
 *   (webgpu-bind-groups.ts) unless CONVERGE_WEBGPU_BIND_GROUP_CACHE=0.
 */

export interface WebgpuAdapterInfo {
  readonly vendor: string
  readonly architecture: string
  readonly device: string
  readonly description: string
  /** True for a software adapter (llvmpipe, lavapipe, SwiftShader): a CPU, never reported as a GPU. */
  readonly fallback: boolean
  /** The Dawn flags and feature level the adapter was requested with. */
  readonly dawnFlags: readonly string[]
  readonly featureLevel: WebgpuFeatureLevel
}

const PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const

const PACKAGE_HELP =
  'WebGPU needs the optional dependencies `webgpu@0.6.2` and `@tensorflow/tfjs-backend-webgpu@4.22.0` of @converge/core ' +
  '(installed with it unless optional dependencies were skipped, e.g. by `--no-optional`; else ' +
  '`pnpm add webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0`)'

const DRIVER_HELP =
  'A GPU needs its Vulkan driver (NVIDIA, AMD or Intel; on Debian/Ubuntu also the `libvulkan1` loader). Without a GPU, ' +
  'CONVERGE_DAWN_FLAGS=backend=opengl runs WebGPU on the CPU through Mesa llvmpipe (Debian packages libegl1, libegl-mesa0, ' +
  'libgl1-mesa-dri), reported as a fallback adapter'

/** Software rasterisers that report themselves as ordinary adapters (Dawn's OpenGL backend does not set isFallbackAdapter). */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer|microsoft basic render/i

/** The priority tfjs-backend-webgpu registers itself with (above wasm's 2 and cpu's 1). */
const WEBGPU_PRIORITY = 3

interface AdapterLike {
  readonly info?: Record<string, unknown>
  readonly isFallbackAdapter?: boolean
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>
}
interface DawnModule {
  create(flags: string[]): GpuLike
  globals: Record<string, unknown>
}
type NavigatorHolder = { navigator?: Record<string, unknown> }


async function importOptional(name: (typeof PACKAGES)[number]): Promise<unknown> {
  try {
    return await import(/* @vite-ignore */ name)
  } catch (e) {
    throw new BackendError(`backend 'webgpu' cannot start: ${name} is installed but failed to load (${firstLine(e)}). ${PACKAGE_HELP}.`)
  }
}

const firstLine = (e: unknown): string => String((e as Error)?.message ?? e).split('\n')[0] as string

interface Started {
  readonly key: string
  readonly adapter: WebgpuAdapterInfo
}
let started: Started | null = null
/** tfjs's factory for the webgpu backend, kept so that a start after releaseWebgpu() can register it again. */
let factory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null
/** How navigator looked before navigator.gpu was set, to restore on release. */
let navigatorBefore: { hadNavigator: boolean; gpu: PropertyDescriptor | undefined } | null = null

export function describeAdapter(adapter: AdapterLike, settings: Pick<DawnSettings, 'flags' | 'featureLevel'>): WebgpuAdapterInfo {
  const info = adapter.info ?? {}
  const text = (k: string): string => (typeof info[k] === 'string' ? (info[k] as string) : '')
  const [vendor, architecture, device, description] = [text('vendor'), text('architecture'), text('device'), text('description')]
  const flagged = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true
  return {
    vendor,
    architecture,
    device,
    description,
    fallback: flagged || SOFTWARE_ADAPTER.test(`${vendor} ${architecture} ${device} ${description}`),
    dawnFlags: [...settings.flags],
    featureLevel: settings.featureLevel,
  }
}

function setNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as NavigatorHolder
  if (!navigatorBefore) navigatorBefore = { hadNavigator: g.navigator !== undefined, gpu: g.navigator ? Object.getOwnPropertyDescriptor(g.navigator, 'gpu') : undefined }
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true })
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true })
}

function restoreNavigator(): void {
  if (!navigatorBefore) return
  const g = globalThis as NavigatorHolder
  if (!navigatorBefore.hadNavigator) delete g.navigator
  else if (g.navigator) {
    delete g.navigator.gpu
    if (navigatorBefore.gpu) Object.defineProperty(g.navigator, 'gpu', navigatorBefore.gpu)
  }
  navigatorBefore = null
}

/** Makes tfjs's webgpu backend factory registered: imports the backend, or re-registers it after a release. */
async function registerTfjsWebgpu(): Promise<void> {
  if (tf.findBackendFactory('webgpu')) return
  if (factory) {
    tf.registerBackend('webgpu', factory, WEBGPU_PRIORITY)
    return
  }
  await importOptional('@tensorflow/tfjs-backend-webgpu')
  factory = tf.findBackendFactory('webgpu') ?? null
  if (!factory) {
    throw new BackendError(
      "backend 'webgpu' cannot start: @tensorflow/tfjs-backend-webgpu was imported before navigator.gpu existed, so it did not " +
        "register itself. Let useBackend('webgpu') be the first to import it.",
    )
  }
}

/** Replaces tfjs's synchronous GPU read, which needs OffscreenCanvas, with a clear error in Node. */
function guardSynchronousReads(): void {
  if ('OffscreenCanvas' in globalThis) return
  const backend = tf.backend() as tf.KernelBackend & { readSync(dataId: object): unknown; hasReadSyncWarned?: boolean }
  const readSync = backend.readSync.bind(backend)
  backend.hasReadSyncWarned = true // tfjs's "synchronous reads are slow" warning would only mislead here
  backend.readSync = (dataId: object) => {
    try {
      return readSync(dataId)
    } catch (e) {
      if (e instanceof ReferenceError && /OffscreenCanvas/.test(e.message)) {
        throw new BackendError(
          "backend 'webgpu': synchronous reads (dataSync, arraySync, bufferSync) are not possible in Node, where tfjs's " +
            'WebGPU backend has no OffscreenCanvas to read through; read with `await tensor.data()` instead ' +
            '(train() does; a task or trick hook that calls dataSync() cannot run on webgpu).',
        )
      }
      throw e
    }
  }
}

/**
 * Starts tfjs's WebGPU backend through Dawn and returns the adapter it runs on. Dawn's flags and
 * feature level come from `options`, else CONVERGE_DAWN_FLAGS / CONVERGE_WEBGPU_FEATURE_LEVEL (see
 * dawn-settings.ts). A second start with the same settings reuses the running backend; other
 * settings need releaseWebgpu() first (tfjs holds one webgpu backend per process).
 */
export async function startWebgpuBackend(options: WebgpuOptions = {}): Promise<WebgpuAdapterInfo> {
  const settings = resolveDawnSettings(options)
  const key = JSON.stringify([settings.flags, settings.featureLevel])
  if (started && tf.engine().registry.webgpu) {
    if (started.key !== key) {
      throw new BackendError(
        `backend 'webgpu' is already running on Dawn flags [${started.adapter.dawnFlags.join(' ')}] (${started.adapter.featureLevel}); ` +
          `to start it with [${settings.flags.join(' ')}] (${settings.featureLevel}), call releaseWebgpu() first`,
      )
    }
    if (!(await tf.setBackend('webgpu'))) throw new BackendError("backend 'webgpu' cannot start: tfjs could not switch back to it")
    applyWebgpuTfjsFlags(options.tfjsFlags)
    setMatmulKernel(resolveMatmulKernel(options))
    return started.adapter
  }

  const missing = PACKAGES.filter((name) => !isInstalled(name))
  if (missing.length) throw new BackendError(`backend 'webgpu' cannot start: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed. ${PACKAGE_HELP}.`)
  const dawn = (await importOptional('webgpu')) as DawnModule
  if (settings.eglPlatform) process.env.EGL_PLATFORM = settings.eglPlatform
  Object.assign(globalThis, dawn.globals) // GPUBufferUsage, GPUMapMode...: tfjs reads them as globals
  let gpu: GpuLike
  try {
    gpu = dawn.create([...settings.flags])
  } catch (e) {
    throw new BackendError(`backend 'webgpu' cannot start: Dawn rejected the flags [${settings.flags.join(' ')}]: ${firstLine(e)}`)
  }
  const request = gpu.requestAdapter.bind(gpu)
  gpu.requestAdapter = (o = {}) => request({ ...o, featureLevel: settings.featureLevel })
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null)
  if (!adapter) {
    throw new BackendError(
      `backend 'webgpu' cannot start: Dawn found no WebGPU adapter (flags [${settings.flags.join(' ')}], feature level ${settings.featureLevel}). ` +
        `${DRIVER_HELP}.`,
    )
  }
  const info = describeAdapter(adapter, settings)
  setNavigatorGpu(gpu)
  try {
    await registerTfjsWebgpu()
    if (!(await tf.setBackend('webgpu'))) {
      throw new BackendError(
        `backend 'webgpu' cannot start: tfjs could not create a device on adapter "${info.device || info.description}" ` +
          "(tfjs's warning above gives the reason)",
      )
    }
    await tf.ready()
  } catch (e) {
    restoreNavigator()
    throw e
  }
  guardSynchronousReads()
  applyWebgpuTfjsFlags(options.tfjsFlags)
  setMatmulKernel(resolveMatmulKernel(options))
  if (process.env.CONVERGE_WEBGPU_BIND_GROUP_CACHE?.trim() !== '0') installBindGroupCache((tf.backend() as unknown as { device: object }).device)
  started = { key, adapter: info }
  return info
}

/** Whether the webgpu backend is running (started and not released). */
export function webgpuRunning(): boolean {
  return started !== null && tf.engine().registry.webgpu !== undefined
}

/**
 * Releases the WebGPU backend: disposes tfjs's webgpu backend (its tensors become unusable),
 * destroys the device and removes `navigator.gpu`. A script that used WebGPU exits by itself
 * without this (tested); call it to free the GPU early in a long-lived process, or before
 * starting WebGPU again with other Dawn settings. Safe to call when WebGPU never started.
 */
export function releaseWebgpu(): void {
  const backend = tf.engine().registry.webgpu as (tf.KernelBackend & { device?: { destroy(): void } }) | undefined
  if (tf.findBackendFactory('webgpu')) {
    factory = tf.findBackendFactory('webgpu')
    tf.removeBackend('webgpu')
  }
  backend?.device?.destroy()
  restoreNavigator()
  started = null
}
