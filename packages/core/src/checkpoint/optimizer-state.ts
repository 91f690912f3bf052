import * as tf from '@tensorflow/tfjs'
import { CheckpointError } from './errors.js'

/** An optimizer's state as a checkpoint keeps it: its named weights, and the scalars tfjs's setWeights would not restore exactly. */
export interface OptimizerSnapshot {
  readonly className: string
  /** `getWeights()`, names with the variable names of the run that wrote them. */
  readonly weights: { readonly name: string; readonly tensor: tf.Tensor }[]
  /** Scalar variables read directly (Adam's accumulated β powers). */
  readonly extras: Record<string, tf.Tensor>
}

/**
 * tfjs's Adam multiplies its β powers step by step, but its `setWeights` recomputes them as
 * `pow(β, t + 1)`, which differs in the last bits; a resumed run would then drift. These fields are
 * saved and restored as they are.
 */
const EXACT_SCALARS = ['accBeta1', 'accBeta2'] as const

/**
 * Copies an optimizer's state through its `getWeights()` (tfjs's Adam, SGD, momentum, RMSProp;
 * any optimizer implementing it, like FRUGAL's). The copies are the caller's; tensors getWeights
 * made just for the call (the iteration count, counters) are freed.
 */
export async function snapshotOptimizer(optimizer: tf.Optimizer): Promise<OptimizerSnapshot> {
  const got = await optimizer.getWeights()
  const weights = got.map(({ name, tensor }) => ({ name, tensor: tensor.clone() }))
  for (const { tensor } of got) if (!(tensor instanceof tf.Variable)) tensor.dispose()
  const extras: Record<string, tf.Tensor> = {}
  for (const field of EXACT_SCALARS) {
    const v = (optimizer as unknown as Record<string, unknown>)[field]
    if (v instanceof tf.Tensor) extras[field] = v.clone()
  }
  return { className: optimizer.getClassName(), weights, extras }
}

/**
 * Restores a snapshot into a fresh optimizer of the same class. `rename` maps the writing run's
 * variable names to this run's (names embed a per-process run number). The snapshot's tensors stay
 * the caller's.
 */
export async function restoreOptimizer(optimizer: tf.Optimizer, snapshot: OptimizerSnapshot, rename: (name: string) => string): Promise<void> {
  if (optimizer.getClassName() !== snapshot.className) {
    throw new CheckpointError(`the checkpoint holds the state of optimizer class ${snapshot.className}, but this run built ${optimizer.getClassName()}`)
  }
  await optimizer.setWeights(snapshot.weights.map(({ name, tensor }) => ({ name: rename(name), tensor })))
  for (const [field, value] of Object.entries(snapshot.extras)) {
    const v = (optimizer as unknown as Record<string, unknown>)[field]
    if (!(v instanceof tf.Variable)) throw new CheckpointError(`the checkpoint holds optimizer field "${field}", which this ${optimizer.getClassName()} lacks`)
    v.assign(value)
  }
}
