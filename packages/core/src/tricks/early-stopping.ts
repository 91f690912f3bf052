import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { ContractError } from '../errors.js'
import { parseOptions } from '../parse-options.js'
import type { RunContext } from '../context.js'
import type { Trick } from '../trick.js'

export const earlyStoppingOptionsSchema = z
  .object({
    /** The evaluation metric to watch; default: the run's target metric. */
    metric: z.string().min(1).optional(),
    /** Whether larger or smaller is better; default: the target's direction when watching the target metric. */
    direction: z.enum(['min', 'max']).optional(),
    /** Evaluations without an improvement before the run stops. */
    patience: z.number().int().positive(),
    /** How much better than the best so far a value must be to count as an improvement. */
    minDelta: z.number().min(0).default(0),
    /** Keep a copy of the weights at the best evaluation (in memory; in checkpoints too). Default true. */
    keepBest: z.boolean().default(true),
    /** At the end of the run, put the best weights back into the variables (before `onEnd`). Default true. */
    restoreBest: z.boolean().default(true),
  })
  .strict()
  .refine((o) => o.keepBest || !o.restoreBest, { message: 'restoreBest needs keepBest: true (the best weights must be kept to restore them)', path: ['restoreBest'] })

export type EarlyStoppingOptions = z.input<typeof earlyStoppingOptionsSchema>

/** The best evaluation so far: its step and value (null before the first evaluation). */
export interface BestEvaluation {
  readonly step: number
  readonly value: number
}

/** Whether `value` improves on `best` by more than `minDelta` in `direction`. */
export function improves(value: number, best: number | null, direction: 'min' | 'max', minDelta: number): boolean {
  if (Number.isNaN(value)) return false
  if (best === null) return true
  return direction === 'max' ? value > best + minDelta : value < best - minDelta
}

/**
 * Early stopping on an evaluation metric (as Keras's EarlyStopping): the run stops
 * (`stopReason: 'early stopping'`) once `patience` evaluations in a row have not improved on the
 * best by more than `minDelta`. With `keepBest` the weights at the best evaluation are copied (in
 * memory, and into checkpoints), `bestWeights()` reads them, and with `restoreBest` they go back
 * into the variables when the run ends, so `onEnd` exports the best model. `best` reports the
 * best step and value.
 */
export function earlyStopping(options: EarlyStoppingOptions): Trick & {
  readonly best: BestEvaluation | null
  /** Copies of the best weights by variable name (the trick keeps owning them); null when not kept. */
  bestWeights(): tf.NamedTensorMap | null
} {
  const o = parseOptions(earlyStoppingOptionsSchema, options, 'earlyStopping options')
  let best: BestEvaluation | null = null
  let wait = 0
  let weights: tf.Tensor[] | null = null
  let names: string[] = []

  const metricOf = (ctx: RunContext) => o.metric ?? ctx.target.metric
  const directionOf = (ctx: RunContext) => {
    if (o.direction) return o.direction
    if (metricOf(ctx) === ctx.target.metric) return ctx.target.direction
    throw new ContractError(`trick "early-stopping": metric "${o.metric}" is not the target metric; give its direction ('min' or 'max')`)
  }
  const freeWeights = () => {
    if (weights) tf.dispose(weights)
    weights = null
  }

  return {
    name: 'early-stopping',
    options: o,
    get best() {
      return best
    },
    bestWeights: () => (weights ? Object.fromEntries(names.map((n, i) => [n, weights![i]!])) : null),
    setup(ctx) {
      directionOf(ctx) // a metric without a direction fails before step 0
      best = null
      wait = 0
      freeWeights()
    },
    evaluate(ctx, metrics) {
      names = ctx.variables.map((v) => v.name)
      const metric = metricOf(ctx)
      const value = metrics[metric]
      if (value === undefined) {
        throw new ContractError(`trick "early-stopping": metric "${metric}" is not among the evaluated metrics (${Object.keys(metrics).join(', ')})`)
      }
      if (improves(value, best?.value ?? null, directionOf(ctx), o.minDelta)) {
        best = { step: ctx.step, value }
        wait = 0
        if (o.keepBest) {
          freeWeights()
          weights = ctx.variables.map((v) => tf.keep(v.clone()))
        }
        return
      }
      if (++wait >= o.patience) {
        ctx.log.info({ step: ctx.step, metric, best: best?.value, bestStep: best?.step, patience: o.patience }, 'early stopping')
        ctx.stop('early stopping')
      }
    },
    end(ctx) {
      if (!o.restoreBest || !weights || !best) return
      ctx.variables.forEach((v, i) => v.assign(weights![i]!))
      ctx.log.info({ step: best.step, value: best.value }, 'restored the best weights')
    },
    state: () => ({ best, wait, weights: weights ? weights.map((w) => w.clone()) : null }),
    loadState(s) {
      best = (s.best as BestEvaluation | null) ?? null
      wait = Number(s.wait)
      freeWeights()
      weights = Array.isArray(s.weights) ? (s.weights as tf.Tensor[]).map((w) => tf.keep(w.clone())) : null
    },
    dispose: freeWeights,
  }
}
