import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { parseOptions } from '../parse-options.js'
import type { Trick } from '../trick.js'

export const gradClipOptionsSchema = z
  .object({
    /** Largest allowed global L2 norm of all gradients together. */
    maxNorm: z.number().positive(),
  })
  .strict()

export type GradClipOptions = z.input<typeof gradClipOptionsSchema>

/** Global L2 norm over every gradient in the map (a scalar tensor). */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)))
    return tf.sqrt(squares.length === 1 ? (squares[0] as tf.Scalar) : tf.addN(squares)) as tf.Scalar
  })
}

/** Scales every gradient by `min(1, maxNorm / globalNorm)`: the direction is kept, the length capped. */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  return tf.tidy(() => {
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(globalNorm(grads), 1e-12)))
    const out: tf.NamedTensorMap = {}
    for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, scale)
    return out
  })
}

/**
 * Gradient-norm clipping over all variables together (as torch's clip_grad_norm_). The scaling
 * stays on the device (no read-back inside the step); the norm is read after the step to count
 * how often it clipped: `stats` and `state()` report the count and the largest norm seen.
 */
export function gradClip(options: GradClipOptions): Trick & { readonly stats: { clipped: number; steps: number; maxNorm: number } } {
  const o = parseOptions(gradClipOptionsSchema, options, 'gradClip options')
  const stats = { clipped: 0, steps: 0, maxNorm: 0 }
  let pendingNorm: tf.Scalar | null = null
  return {
    name: 'grad-clip',
    options: o,
    stats,
    setup() {
      stats.clipped = 0
      stats.steps = 0
      stats.maxNorm = 0
    },
    afterBackward(_ctx, grads) {
      const norm = globalNorm(grads)
      pendingNorm = tf.keep(norm)
      const scale = tf.minimum(1, tf.div(o.maxNorm, tf.add(norm, 1e-12)))
      const out: tf.NamedTensorMap = {}
      for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, scale)
      return out
    },
    async afterStep() {
      if (!pendingNorm) return
      const n = (await pendingNorm.data())[0] as number
      pendingNorm.dispose()
      pendingNorm = null
      stats.steps++
      stats.maxNorm = Math.max(stats.maxNorm, n)
      if (n > o.maxNorm) stats.clipped++
    },
    state: () => ({ ...stats }),
    loadState(s) {
      stats.clipped = Number(s.clipped)
      stats.steps = Number(s.steps)
      stats.maxNorm = Number(s.maxNorm)
    },
    dispose() {
      pendingNorm?.dispose()
      pendingNorm = null
    },
  }
}
