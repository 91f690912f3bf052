import type * as tf from '@tensorflow/tfjs'

/** tfjs's `{ name, tensor }` pair (not exported by @tensorflow/tfjs). */
interface NamedTensor {
  name: string
  tensor: tf.Tensor
}
export type OptimizerGradients = tf.NamedTensorMap | NamedTensor[]

/**
 * An optimizer that can skip its next update on the GPU when a loss tensor is not finite, leaving
 * the weights and its state as they were. The loop uses it to read the loss one step late
 * (loop/deferred-loss.ts): core's WebgpuAdamOptimizer is one, and trick optimizers with their own
 * fused kernels (FRUGAL's) can be others.
 */
export interface LossGuardedOptimizer {
  /** Whether the next applyGradients(grads) would honour a guard (on the GPU, with nothing changed on a skip). */
  canGuardStep(grads: OptimizerGradients): boolean
  /** Makes the next applyGradients skip its update when the first element of `loss` is not finite. */
  guardNextStep(loss: tf.Tensor): void
}

/** Whether `optimizer` offers the guard (checked by its methods: tfjs optimizers are often wrapped or subclassed across packages). */
export function isLossGuarded(optimizer: unknown): optimizer is LossGuardedOptimizer {
  const o = optimizer as Partial<LossGuardedOptimizer> | null
  return o != null && typeof o.canGuardStep === 'function' && typeof o.guardNextStep === 'function'
}
