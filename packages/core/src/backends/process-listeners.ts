import * as tf from '@tensorflow/tfjs'

const EVENTS = ['uncaughtException', 'unhandledRejection'] as const
type Event = (typeof EVENTS)[number]

/**
 * Runs `start` (a backend's initialisation) and removes the process-level `uncaughtException` and
 * `unhandledRejection` listeners it added. tfjs-backend-wasm's Emscripten module installs both:
 * they rethrow, so any later uncaught error in the user's script printed ~38 KB of minified
 * tfjs-backend-wasm source before its own message, and the process exited with code 7 instead of
 * Node's usual 1. Only listeners added during `start` are removed; the user's own stay.
 */
export async function withoutAddedProcessListeners<T>(start: () => Promise<T>): Promise<T> {
  if (typeof process === 'undefined' || typeof process.listeners !== 'function') return start()
  const listeners = (e: Event): unknown[] => process.listeners(e as 'uncaughtException')
  const before = new Map(EVENTS.map((e) => [e, new Set(listeners(e))]))
  try {
    return await start()
  } finally {
    for (const event of EVENTS) {
      const kept = before.get(event) as Set<unknown>
      for (const listener of listeners(event)) {
        if (!kept.has(listener)) process.removeListener(event as 'uncaughtException', listener as (...args: unknown[]) => void)
      }
    }
  }
}

/**
 * tfjs's CPU backend prints "Hi, looks like you are running TensorFlow.js in Node.js..." on its
 * first tensor write in Node. converge chooses its backend itself (and says how to get the native
 * one when asked for it), so the banner is noise in every run and test: every CPU backend instance
 * (the one there now, and any tfjs's engine makes later from the registered factory) starts marked
 * as having shown it. Idempotent.
 */
export function quietCpuBanner(): void {
  const quiet = (b: unknown) => {
    if (b && typeof b === 'object' && 'firstUse' in b) (b as { firstUse: boolean }).firstUse = false
    return b
  }
  const registry = (tf.engine() as unknown as { registryFactory?: Record<string, { factory: () => unknown; quiet?: true }> }).registryFactory
  const entry = registry?.cpu
  if (entry && !entry.quiet) {
    const make = entry.factory
    entry.factory = () => quiet(make())
    entry.quiet = true
  }
  quiet((tf.engine() as unknown as { registry?: Record<string, unknown> }).registry?.cpu)
}
