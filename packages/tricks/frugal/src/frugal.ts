import * as tf from '@tensorflow/tfjs'
import { createOptimizer, parseOptions, type OptimizerSpec, type RunContext, type Trick } from '@converge/core'
import { FrugalOptimizer, type FrugalStateReport } from './frugal-optimizer.js'
import { frugalOptionsSchema, type FrugalOptions, type ResolvedFrugalOptions } from './options.js'
import { adamStateBytes, type StateBytes } from './state-bytes.js'

/** A trick that supplies the run's optimizer and can report that optimizer's state size. */
export interface OptimizerTrick extends Trick {
  /** State bytes of the optimizer it built (null before the run builds it). */
  optimizerStateBytes(): (StateBytes & { readonly peak: number }) | null
}

export interface FrugalTrick extends OptimizerTrick {
  readonly options: ResolvedFrugalOptions
  optimizerStateBytes(): FrugalStateReport | null
  /** The optimizer built for the current run (null before it is built). */
  readonly optimizerInstance: FrugalOptimizer | null
}

/**
 * FRUGAL through the core's exclusive `optimizer` hook: Adam on a low-dimensional, periodically
 * refreshed subspace of each projectable weight, signSGD (by default) on the rest, full Adam on
 * embeddings, norms, output head and biases. Adam's betas and epsilon, and the learning rate, come
 * from the task's optimizer spec unless given here. Randomness comes from the run's 'frugal' stream
 * (or `seed`).
 */
export function frugal(options: FrugalOptions = {}, name = 'frugal'): FrugalTrick {
  const o = parseOptions(frugalOptionsSchema, options, `${name} options`)
  let built: FrugalOptimizer | null = null
  const trick: FrugalTrick = {
    name,
    options: o,
    get optimizerInstance() {
      return built
    },
    optimizer(ctx: RunContext, variables: readonly tf.Variable[], base: OptimizerSpec): tf.Optimizer {
      const adam = base.name === 'adam' ? base : undefined
      const { learningRate, beta1, beta2, epsilon, seed, ...settings } = o
      built = new FrugalOptimizer(
        {
          ...settings,
          learningRate: learningRate ?? base.learningRate,
          beta1: beta1 ?? adam?.beta1 ?? 0.9,
          beta2: beta2 ?? adam?.beta2 ?? 0.999,
          epsilon: epsilon ?? adam?.epsilon ?? 1e-8,
          seed: seed ?? ctx.rng('frugal').opSeed(),
        },
        variables,
      )
      return built
    },
    optimizerStateBytes: () => built?.optimizerStateBytes() ?? null,
  }
  if (o.learningRate !== undefined) {
    const override = o.learningRate
    // The loop sets the rate every step from the task's base rate and the schedule hooks; scale
    // that chain so an override keeps any warmup or decay another trick applies.
    ;(trick as { learningRate?: Trick['learningRate'] }).learningRate = (ctx, lr) => (lr * override) / ctx.baseOptimizer.learningRate
  }
  return trick
}

/**
 * The GaLore-like baseline of the FRUGAL paper's README recipe: Adam in the top-ρ singular subspace
 * only (no state-free update), the old moments reused after each refresh (no reset — GaLore's basis
 * mismatch), and the projected part's rate scaled by 0.25. Any option can be overridden.
 */
export function galoreLike(options: FrugalOptions = {}): FrugalTrick {
  return frugal({ subspace: 'svd', stateFree: 'none', resetOnRefresh: false, projLrScale: 0.25, ...options }, 'galore-like')
}

/**
 * The task's own optimizer spec, built exactly as a run without tricks would build it (tfjs Adam
 * for Adam tasks), but reporting its state size: the baseline arm of the FRUGAL ablation.
 */
export function plainAdam(): OptimizerTrick {
  let bytes: StateBytes | null = null
  return {
    name: 'adam',
    options: {},
    optimizer(_ctx, variables, base) {
      if (base.name !== 'adam') throw new Error(`plainAdam: the task's optimizer is '${base.name}', not 'adam'`)
      bytes = adamStateBytes(variables.map((v) => ({ name: v.name, shape: v.shape })))
      return createOptimizer(base)
    },
    optimizerStateBytes: () => (bytes ? { ...bytes, peak: bytes.total } : null),
  }
}
