import * as tf from '@tensorflow/tfjs'
import { parseOptions, type Trick } from '@converge/core'
import { z } from 'zod'

/**
 * Options of `orthogonal`. Every field has a default; `.strict()` turns a misspelt option into an
 * error that names the nearest allowed one.
 */
export const orthogonalOptionsSchema = z
  .object({
    /** Noise scale η: the noise variance at step t is η / (1 + t)^γ. 0 switches the noise off. */
    eta: z.number().min(0).default(0.01),
    /** Decay exponent γ of the noise variance. */
    gamma: z.number().min(0).default(0.55),
  })
  .strict()

export type OrthogonalOptions = z.input<typeof orthogonalOptionsSchema>
export type ResolvedOrthogonalOptions = z.output<typeof orthogonalOptionsSchema>

/**
 * orthogonal. Starter implementation, to be replaced by the method: annealed Gaussian gradient
 * noise (Neelakantan et al., 2015): before each optimizer step every gradient gets noise drawn
 * from N(0, η / (1 + t)^γ). It shows the shape a trick keeps: options parsed by the schema,
 * randomness from the run's seeded stream (`ctx.rng()`), no tensor outliving its step.
 */
export function orthogonal(options: OrthogonalOptions = {}): Trick {
  const o = parseOptions(orthogonalOptionsSchema, options, 'orthogonal options')
  return {
    name: 'orthogonal',
    options: o,
    afterBackward(ctx, grads) {
      const std = Math.sqrt(o.eta / Math.pow(1 + ctx.step, o.gamma))
      const noisy: tf.NamedTensorMap = {}
      // The step's tf.tidy frees the noise; the loop owns the returned gradients.
      for (const [name, g] of Object.entries(grads)) noisy[name] = tf.add(g, tf.randomNormal(g.shape, 0, std, 'float32', ctx.rng().opSeed()))
      return noisy
    },
  }
}
