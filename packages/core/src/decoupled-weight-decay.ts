import * as tf from '@tensorflow/tfjs'

type Gradients = Parameters<tf.Optimizer['applyGradients']>[0]

/**
 * AdamW's decoupled weight decay (Loshchilov & Hutter, 2019; torch.optim.AdamW's order): before
 * each update, every variable the update touches shrinks by its current rate, p ← p·(1 − lr_t·wd),
 * then the wrapped optimizer applies its own step. lr_t is read from the optimizer at that moment,
 * so a warmup or schedule scales the decay too. Patches `optimizer.applyGradients` in place (its
 * class, state and slots are unchanged) and returns the same object.
 */
export function withDecoupledWeightDecay<T extends tf.Optimizer>(optimizer: T, weightDecay: number): T {
  if (!(weightDecay > 0)) return optimizer
  const apply = optimizer.applyGradients.bind(optimizer)
  optimizer.applyGradients = (gradients: Gradients) => {
    const lr = (optimizer as unknown as { learningRate: number }).learningRate
    const names = Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients)
    const registered = tf.engine().registeredVariables
    tf.tidy(() => {
      const keep = tf.scalar(1 - lr * weightDecay)
      for (const name of names) {
        const v = registered[name]
        if (v?.trainable) v.assign(tf.mul(v, keep))
      }
    })
    apply(gradients)
  }
  return optimizer
}
