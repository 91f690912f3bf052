import { z } from 'zod'
import { parseOptions } from '../parse-options.js'
import type { Trick } from '../trick.js'

export const lrWarmupOptionsSchema = z
  .object({
    /** Steps over which the learning rate rises to its base value. */
    steps: z.number().int().positive(),
    /** Fraction of the base learning rate at the first step. */
    startFactor: z.number().min(0).max(1).default(0),
  })
  .strict()

export type LrWarmupOptions = z.input<typeof lrWarmupOptionsSchema>

/** The warmup factor for a 0-based step: linear from `startFactor` to 1 over `steps` steps. */
export function warmupFactor(step: number, steps: number, startFactor = 0): number {
  if (step >= steps) return 1
  return startFactor + (1 - startFactor) * ((step + 1) / steps)
}

/**
 * Linear learning-rate warmup: step i (0-based) uses `lr * (startFactor + (1 - startFactor) * (i + 1) / steps)`
 * for i < steps, then the base rate. A length-independent schedule, so steps-to-target stays fair.
 * Steps count within the phase (`ctx.phase.step`): every phase starts a fresh optimizer, and each
 * gets its own warmup — a warm-up phase before the main one does not use up the main warmup.
 */
export function lrWarmup(options: LrWarmupOptions): Trick {
  const o = parseOptions(lrWarmupOptionsSchema, options, 'lrWarmup options')
  return {
    name: 'lr-warmup',
    options: o,
    learningRate: (ctx, lr) => lr * warmupFactor(ctx.phase.step, o.steps, o.startFactor),
  }
}
