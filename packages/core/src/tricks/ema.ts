import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { parseOptions } from '../parse-options.js'
import type { Metrics } from '../task.js'
import type { Trick } from '../trick.js'

export const emaOptionsSchema = z
  .object({
    /** Weight of the running average per step: ema = decay * ema + (1 - decay) * weights. 0 keeps the live weights (a negative control). */
    decay: z.number().min(0).lt(1, 'decay must be < 1 (1 would never move from the initial weights)'),
    /** Main-phase steps before averaging starts; until then the average is a copy of the live weights. */
    startStep: z.number().int().min(0).default(0),
    /** Also evaluate the live weights at each evaluation and record their metrics as `live.<name>` (one more evaluation each time). */
    reportLive: z.boolean().default(true),
  })
  .strict()

export type EmaOptions = z.input<typeof emaOptionsSchema>

/**
 * Exponential moving average of the weights (Polyak averaging, as in timm's ModelEmaV2 or
 * torch's AveragedModel): after every main-phase step from `startStep` on,
 * `ema = decay * ema + (1 - decay) * w`. Each evaluation runs on the averaged weights (swapped in
 * by beforeEvaluate and out by afterEvaluate; training itself never sees them), so the run's
 * metrics, target check and steps-to-target are the average's; with `reportLive` the live weights'
 * metrics are recorded beside them as `live.<name>`. The average is checkpointed; `averaged()`
 * reads it (e.g. to export it in `onEnd`).
 */
export function ema(options: EmaOptions): Trick & {
  /** The averaged weights, in the order of the task's variables (the trick keeps owning them). */
  averaged(): readonly tf.Tensor[]
} {
  const o = parseOptions(emaOptionsSchema, options, 'ema options')
  let average: tf.Variable[] = []
  let live: tf.Tensor[] = []
  let liveMetrics: Metrics | null = null
  let mainSteps = 0
  /** A snapshot loaded before setup made the average's variables: applied there. */
  let loaded: { mainSteps: number; average: tf.Tensor[] } | null = null

  const free = () => {
    tf.dispose([...average, ...live])
    average = []
    live = []
  }
  return {
    name: 'ema',
    options: o,
    averaged: () => average,
    setup(ctx) {
      free()
      mainSteps = 0
      average = ctx.variables.map((v, i) => tf.variable(v, false, ctx.variableName(`average${i}`)))
      if (loaded) {
        mainSteps = loaded.mainSteps
        loaded.average.forEach((t, i) => average[i]!.assign(t))
        tf.dispose(loaded.average)
        loaded = null
      }
    },
    afterStep(ctx, report) {
      if (report.phase.name !== 'main') return
      mainSteps++
      const vars = ctx.variables
      if (mainSteps <= o.startStep || o.decay === 0) {
        vars.forEach((v, i) => average[i]!.assign(v))
        return
      }
      tf.tidy(() => vars.forEach((v, i) => average[i]!.assign(tf.add(tf.mul(o.decay, average[i]!), tf.mul(1 - o.decay, v)))))
    },
    async beforeEvaluate(ctx) {
      liveMetrics = o.reportLive ? await ctx.evaluateModel() : null
      live = ctx.variables.map((v) => tf.clone(v))
      ctx.variables.forEach((v, i) => v.assign(average[i]!))
    },
    afterEvaluate(ctx, metrics) {
      ctx.variables.forEach((v, i) => v.assign(live[i]!))
      tf.dispose(live)
      live = []
      if (!liveMetrics) return
      const added = Object.fromEntries(Object.entries(liveMetrics).map(([k, v]) => [`live.${k}`, v]))
      liveMetrics = null
      return { ...metrics, ...added }
    },
    state: () => (loaded ? { mainSteps: loaded.mainSteps, average: loaded.average.map((t) => t.clone()) } : { mainSteps, average: average.map((v) => v.clone()) }),
    loadState(s) {
      const saved = s.average as tf.Tensor[]
      if (average.length === 0) {
        if (loaded) tf.dispose(loaded.average)
        loaded = { mainSteps: Number(s.mainSteps), average: saved.map((t) => tf.keep(t.clone())) }
        return
      }
      mainSteps = Number(s.mainSteps)
      saved.forEach((t, i) => average[i]!.assign(t))
    },
    dispose() {
      free()
      if (loaded) tf.dispose(loaded.average)
      loaded = null
    },
  }
}
