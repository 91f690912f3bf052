import * as tf from '@tensorflow/tfjs'
import { ConfigError } from '../errors.js'

/**
 * tfjs-backend-webgpu's own flags (`WEBGPU_*` in tfjs's environment) as `useBackend('webgpu')`
 * sets them: these defaults, then the caller's `webgpu.tfjsFlags`, set on every call, so a later
 * `useBackend('webgpu', { webgpu: { tfjsFlags } })` or `tf.env().set(...)` overrides them.
 *
 * A default is here only when the webgpu-step bench (packages/core/bench/webgpu-step.ts
 * --flags) measured it to help; docs/performance.md has the numbers, including the flags that
 * were measured and left at tfjs's values.
 */
export const DEFAULT_WEBGPU_TFJS_FLAGS: Readonly<Record<string, number | boolean>> = Object.freeze({
  // tfjs submits its command buffer every 15 dispatches (and at every read). A training step of a
  // small MLP is now about 20 dispatches, so 15 split it into two submits; at 30 it is one, submitted
  // at the loss read. On the null adapter that was 10-15% off the mid MLP's step (6 runs against an
  // A/A control of 5) and no difference the noise could show on the small one. Not measured on a GPU,
  // where an earlier submit starts the GPU sooner: set it back with tfjsFlags if that matters.
  WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 30,
})

/** The flags the previous call set, returned to tfjs's own defaults when a later call does not set them. */
let previous: readonly string[] = []

/**
 * Sets the defaults, then `overrides`; a flag set by the previous call and by neither of these
 * goes back to tfjs's default. A flag tfjs does not know is a ConfigError. Returns what was set.
 */
export function applyWebgpuTfjsFlags(overrides: Readonly<Record<string, number | boolean>> = {}): Record<string, number | boolean> {
  const flags = { ...DEFAULT_WEBGPU_TFJS_FLAGS, ...overrides }
  const registry = (tf.env() as unknown as { flagRegistry: Record<string, { evaluationFn(): number | boolean }> }).flagRegistry
  for (const name of Object.keys(flags)) {
    if (!(name in registry)) throw new ConfigError(`webgpu options: tfjsFlags.${name} is not a flag tfjs knows (its webgpu flags: ${Object.keys(registry).filter((k) => k.startsWith('WEBGPU_')).join(', ')})`)
  }
  for (const name of previous) if (!(name in flags) && registry[name]) tf.env().set(name, registry[name].evaluationFn())
  for (const [name, value] of Object.entries(flags)) tf.env().set(name, value)
  previous = Object.keys(flags)
  return flags
}
