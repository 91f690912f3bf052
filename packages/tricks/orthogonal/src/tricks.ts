import * as tf from '@tensorflow/tfjs'
import { parseOptions, type OptimizerSpec, type RunContext, type Trick } from '@converge/core'
import { OrthogonalOptimizer } from './orthogonal-optimizer.js'
import { orthogonalOptionsSchema, type OrthogonalOptions, type ResolvedOrthogonalOptions } from './options.js'
import type { OrthogonalStateReport } from './state-bytes.js'

/** A trick that supplies the run's optimizer (an OrthogonalOptimizer) and reports its state size. */
export interface OrthogonalTrick extends Trick {
  readonly options: ResolvedOrthogonalOptions
  /** State bytes of the optimizer it built (null before the run builds it). */
  optimizerStateBytes(): OrthogonalStateReport | null
  /** The optimizer built for the current run (null before it is built). */
  readonly optimizerInstance: OrthogonalOptimizer | null
}

/** Muon's default rate for the hidden matrices, in spectral-norm units (the 'keller' scale). */
export const MUON_DEFAULT_LR = 0.02

/**
 * The shared factory: the exclusive `optimizer` hook builds an OrthogonalOptimizer for the run's
 * variables. The AdamW parameters take the task's Adam rate, betas and epsilon unless given. The
 * matrices' rate enters through a `learningRate` hook that rescales the loop's rate chain, so a
 * warmup or decay from another trick scales both groups alike.
 */
function orthogonalTrick(name: string, options: OrthogonalOptions, defaults: Partial<OrthogonalOptions>): OrthogonalTrick {
  const o = parseOptions(orthogonalOptionsSchema, { ...defaults, ...options }, `${name} options`)
  const sharesAdamRate = o.scale === 'moonlight' || o.matrixRule === 'adamw'
  let built: OrthogonalOptimizer | null = null
  const matrixRate = (base: OptimizerSpec) => o.learningRate ?? (sharesAdamRate ? (o.adamLearningRate ?? base.learningRate) : MUON_DEFAULT_LR)
  return {
    name,
    options: o,
    get optimizerInstance() {
      return built
    },
    optimizer(_ctx: RunContext, variables: readonly tf.Variable[], base: OptimizerSpec): tf.Optimizer {
      const adam = base.name === 'adam' ? base : undefined
      const { learningRate: _lr, adamLearningRate, beta1, beta2, epsilon, ...settings } = o
      built = new OrthogonalOptimizer(
        {
          ...settings,
          learningRate: matrixRate(base),
          adamLearningRate: adamLearningRate ?? base.learningRate,
          beta1: beta1 ?? adam?.beta1 ?? 0.9,
          beta2: beta2 ?? adam?.beta2 ?? 0.999,
          epsilon: epsilon ?? adam?.epsilon ?? 1e-8,
        },
        variables,
      )
      return built
    },
    // The chain starts at the task's rate; this maps it onto the matrices' rate (the optimizer keeps the AdamW rate in proportion).
    learningRate: (ctx, lr) => (lr * matrixRate(ctx.baseOptimizer)) / ctx.baseOptimizer.learningRate,
    optimizerStateBytes: () => built?.optimizerStateBytes() ?? null,
  }
}

/**
 * Muon (Jordan et al., 2024): Nesterov momentum on each hidden matrix, orthogonalized by five
 * Newton–Schulz steps, scaled by √max(1, fan_out/fan_in); AdamW for embeddings, head, gains and
 * biases. Default matrix rate 0.02.
 */
export function muon(options: OrthogonalOptions = {}): OrthogonalTrick {
  return orthogonalTrick('muon', options, {})
}

/**
 * ROOT (arXiv 2511.20626) as its released code runs: Muon with the Nesterov vector clipped at the
 * 90th percentile of its magnitudes before Newton–Schulz, ROOT's per-shape coefficient table
 * (without its unstable square entry; Muon's triple elsewhere), and Moonlight's 0.2·√max(m, n)
 * scale with the matrices sharing AdamW's rate.
 */
export function root(options: OrthogonalOptions = {}): OrthogonalTrick {
  return orthogonalTrick('root', options, { coefficients: 'root', clipPercentile: 0.9, scale: 'moonlight' })
}

/**
 * AdamW on every parameter through the same optimizer (same routing and state report): the
 * baseline, and with `clipPercentile` the control that asks whether ROOT's clip alone explains it
 * (each matrix's gradient clipped at its percentile before the moments).
 */
export function adamw(options: OrthogonalOptions = {}): OrthogonalTrick {
  return orthogonalTrick('adamw', options, { matrixRule: 'adamw' })
}
