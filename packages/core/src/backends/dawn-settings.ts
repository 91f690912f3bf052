import { z } from 'zod'
import { MATMUL_KERNELS, type MatmulKernel } from './webgpu-sgemm.js'
import { parseOptions } from '../parse-options.js'

/**
 * How Dawn (the WebGPU implementation behind the `webgpu` package) is asked for an adapter:
 * its start-up flags and the WebGPU feature level. Options passed to `useBackend` win over the
 * environment, the environment over the defaults:
 *
 * - `CONVERGE_DAWN_FLAGS`: Dawn flags separated by spaces, each `key=value`; default
 *   `backend=vulkan`. `backend=opengl` (or `opengles`) selects Dawn's OpenGL backend, which on a
 *   machine without a GPU runs on Mesa's llvmpipe: a CPU, reported as a fallback adapter.
 *   (Spaces, not commas, because some Dawn flag values are comma-separated lists.)
 * - `CONVERGE_WEBGPU_FEATURE_LEVEL`: `core` or `compatibility`; default `compatibility` on the
 *   OpenGL backends (Dawn offers them only in compatibility mode), `core` elsewhere.
 * - On the OpenGL backends `EGL_PLATFORM` is set to `surfaceless` when unset: a process without a
 *   display otherwise fails with `eglInitialize failed with EGL_NOT_INITIALIZED`.
 */

export const WEBGPU_FEATURE_LEVELS = ['core', 'compatibility'] as const
export type WebgpuFeatureLevel = (typeof WEBGPU_FEATURE_LEVELS)[number]

const DAWN_FLAG = /^[A-Za-z0-9_-]+=\S*$/
const dawnFlag = z.string().regex(DAWN_FLAG, 'expected a Dawn flag of the form key=value, e.g. backend=vulkan')

export const webgpuOptionsSchema = z
  .object({
    /** Dawn flags, e.g. ['backend=vulkan'] or ['backend=opengl']. Default: CONVERGE_DAWN_FLAGS, else backend=vulkan. */
    dawnFlags: z.array(dawnFlag).min(1).optional(),
    /** Default: CONVERGE_WEBGPU_FEATURE_LEVEL, else compatibility on OpenGL, core elsewhere. */
    featureLevel: z.enum(WEBGPU_FEATURE_LEVELS).optional(),
    /** tfjs-backend-webgpu flags, e.g. { WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 15 }, over core's defaults (webgpu-tfjs-flags.ts). */
    /**
     * The kernel behind tf.matMul and tf.fused.matMul on webgpu: 'tfjs' or 'converge', a tiled SGEMM
     * (webgpu-sgemm.ts; not measured on a GPU, see docs/performance.md). Default: CONVERGE_WEBGPU_MATMUL,
     * else 'tfjs'. Set on every start.
     */
    matmul: z.enum(MATMUL_KERNELS).optional(),
    tfjsFlags: z.record(z.string().regex(/^WEBGPU_[A-Z0-9_]+$/, 'expected a tfjs webgpu flag name, e.g. WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'), z.union([z.number(), z.boolean()])).optional(),
  })
  .strict()

export type WebgpuOptions = z.input<typeof webgpuOptionsSchema>

export interface DawnSettings {
  readonly flags: readonly string[]
  readonly featureLevel: WebgpuFeatureLevel
  /** The EGL platform to put in the environment before Dawn starts (OpenGL backends), if any. */
  readonly eglPlatform: string | null
}

export const DEFAULT_DAWN_FLAGS = ['backend=vulkan'] as const

const envSchema = z.object({
  CONVERGE_DAWN_FLAGS: z.array(dawnFlag).optional(),
  CONVERGE_WEBGPU_FEATURE_LEVEL: z.enum(WEBGPU_FEATURE_LEVELS).optional(),
})

/** Resolves Dawn's flags and feature level from `options`, then `env`, then the defaults. */
export function resolveDawnSettings(options: WebgpuOptions = {}, env: NodeJS.ProcessEnv = process.env): DawnSettings {
  const o = parseOptions(webgpuOptionsSchema, options, 'webgpu options')
  const rawFlags = env.CONVERGE_DAWN_FLAGS?.trim()
  const fromEnv = parseOptions(
    envSchema,
    {
      CONVERGE_DAWN_FLAGS: rawFlags ? rawFlags.split(/\s+/) : undefined,
      CONVERGE_WEBGPU_FEATURE_LEVEL: env.CONVERGE_WEBGPU_FEATURE_LEVEL?.trim() || undefined,
    },
    'webgpu environment',
  )
  const flags = o.dawnFlags ?? fromEnv.CONVERGE_DAWN_FLAGS ?? [...DEFAULT_DAWN_FLAGS]
  const openGl = flags.some((f) => /^backend=opengl(es)?$/i.test(f))
  const featureLevel = o.featureLevel ?? fromEnv.CONVERGE_WEBGPU_FEATURE_LEVEL ?? (openGl ? 'compatibility' : 'core')
  const eglPlatform = openGl && !env.EGL_PLATFORM ? 'surfaceless' : null
  return { flags, featureLevel, eglPlatform }
}

const matmulEnvSchema = z.object({ CONVERGE_WEBGPU_MATMUL: z.enum(MATMUL_KERNELS).optional() })

/**
 * The matmul kernel from `options`, then CONVERGE_WEBGPU_MATMUL (so that `train()`, which starts
 * webgpu without options, can use the SGEMM), then 'tfjs'.
 */
export function resolveMatmulKernel(options: WebgpuOptions = {}, env: NodeJS.ProcessEnv = process.env): MatmulKernel {
  const o = parseOptions(webgpuOptionsSchema, options, 'webgpu options')
  const fromEnv = parseOptions(matmulEnvSchema, { CONVERGE_WEBGPU_MATMUL: env.CONVERGE_WEBGPU_MATMUL?.trim() || undefined }, 'webgpu environment')
  return o.matmul ?? fromEnv.CONVERGE_WEBGPU_MATMUL ?? 'tfjs'
}
