import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { wasmAdamIfTuned } from './backends/wasm-adam.js'
import { WebgpuAdamOptimizer } from './backends/webgpu-adam.js'
import { withDecoupledWeightDecay } from './decoupled-weight-decay.js'
import { parseOptions } from './parse-options.js'

/** Each branch is strict: `momentum` on sgd or `lr` for `learningRate` is an error, never dropped. */
export const optimizerSpecSchema = z.discriminatedUnion('name', [
  z.object({
    name: z.literal('adam'),
    learningRate: z.number().positive(),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    /** Decoupled weight decay (AdamW): each step, before Adam's update, p ← p·(1 − lr_t·weightDecay). Absent or 0: plain Adam. */
    weightDecay: z.number().min(0).optional(),
  }).strict(),
  z.object({ name: z.literal('sgd'), learningRate: z.number().positive() }).strict(),
  z.object({
    name: z.literal('momentum'),
    learningRate: z.number().positive(),
    momentum: z.number().min(0).lt(1).default(0.9),
    nesterov: z.boolean().default(false),
  }).strict(),
  z.object({
    name: z.literal('rmsprop'),
    learningRate: z.number().positive(),
    decay: z.number().min(0).lt(1).default(0.9),
    epsilon: z.number().positive().default(1e-8),
  }).strict(),
])

/** A built-in optimizer and its hyper-parameters. */
export type OptimizerSpec = z.input<typeof optimizerSpecSchema>

/**
 * Builds the optimizer `spec` names. Adam built while the webgpu backend is active updates each
 * variable with one fused kernel (backends/webgpu-adam.ts); on WASM with converge's kernel fixes,
 * with one SIMD kernel call per variable (backends/wasm-adam.ts). Both: same numbers, same class name and state.
 * Adam with `weightDecay` is AdamW (decoupled decay before each update, decoupled-weight-decay.ts).
 */
export function createOptimizer(spec: OptimizerSpec): tf.Optimizer {
  const s = parseOptions(optimizerSpecSchema, spec, 'optimizer')
  switch (s.name) {
    case 'adam': {
      const adam =
        tf.getBackend() === 'webgpu'
          ? new WebgpuAdamOptimizer(s.learningRate, s.beta1, s.beta2, s.epsilon)
          : (wasmAdamIfTuned(s.learningRate, s.beta1, s.beta2, s.epsilon) ?? tf.train.adam(s.learningRate, s.beta1, s.beta2, s.epsilon))
      return s.weightDecay ? withDecoupledWeightDecay(adam, s.weightDecay) : adam
    }
    case 'sgd':
      return tf.train.sgd(s.learningRate)
    case 'momentum':
      return freeSgdScalarOnDispose(tf.train.momentum(s.learningRate, s.momentum, s.nesterov))
    case 'rmsprop':
      return tf.train.rmsprop(s.learningRate, s.decay, 0, s.epsilon)
  }
}

/**
 * tfjs's MomentumOptimizer.dispose frees its own scalars but not the `-learningRate` scalar `c` of
 * its SGD base class: one tensor leaked per optimizer built. Frees it too.
 */
function freeSgdScalarOnDispose(optimizer: tf.MomentumOptimizer): tf.MomentumOptimizer {
  const dispose = optimizer.dispose.bind(optimizer)
  optimizer.dispose = () => {
    dispose()
    const base = optimizer as unknown as { c?: tf.Tensor }
    if (base.c && !base.c.isDisposed) base.c.dispose()
  }
  return optimizer
}

/**
 * An optimizer whose learning rate the loop can set each step. tfjs's SGD family has
 * `setLearningRate`; Adam and RMSProp read a `learningRate` field on every step; custom optimizers
 * (e.g. FRUGAL) implement `setLearningRate`.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate?: number }
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr)
  else if (typeof o.learningRate === 'number') o.learningRate = lr
  else throw new TypeError(`optimizer ${optimizer.getClassName()} exposes no learning rate the loop can set`)
}

export function getLearningRate(optimizer: tf.Optimizer): number | undefined {
  const lr = (optimizer as unknown as { learningRate?: unknown }).learningRate
  return typeof lr === 'number' ? lr : undefined
}
