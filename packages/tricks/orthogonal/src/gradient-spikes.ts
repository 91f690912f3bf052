import * as tf from '@tensorflow/tfjs'
import { parseOptions, type Trick } from '@converge/core'
import { z } from 'zod'

export const gradientSpikesOptionsSchema = z
  .object({
    /** Probability that any one gradient entry is spiked at a step. */
    rate: z.number().min(0).max(1).default(1e-3),
    /** Spike size in units of that tensor's gradient RMS; the sign is random. */
    size: z.number().min(0).default(100),
  })
  .strict()
export type GradientSpikesOptions = z.input<typeof gradientSpikesOptionsSchema>

/**
 * A noise model for the bench, not a method: each gradient entry, with probability `rate`, gets
 * ±size·rms(g) added before the optimizer step (sparse heavy-tailed outliers, the setting where
 * ROOT's percentile clip should matter). Randomness from the run's seeded 'gradient-spikes' stream.
 */
export function gradientSpikes(options: GradientSpikesOptions = {}): Trick {
  const o = parseOptions(gradientSpikesOptionsSchema, options, 'gradientSpikes options')
  return {
    name: 'gradient-spikes',
    options: o,
    afterBackward(ctx, grads) {
      if (o.rate === 0 || o.size === 0) return grads
      const out: tf.NamedTensorMap = {}
      const rng = ctx.rng('gradient-spikes')
      for (const [name, g] of Object.entries(grads)) {
        const u = tf.randomUniform(g.shape, 0, 1, 'float32', rng.opSeed())
        const hit = tf.cast(tf.less(u, o.rate), 'float32')
        const sign = tf.sign(tf.sub(tf.randomUniform(g.shape, 0, 1, 'float32', rng.opSeed()), 0.5))
        const rms = tf.sqrt(tf.mean(tf.square(g)))
        out[name] = tf.add(g, tf.mul(tf.mul(hit, sign), tf.mul(rms, o.size)))
      }
      return out
    },
  }
}
