import * as tf from '@tensorflow/tfjs'

/** Comparison and logical kernels that tfjs 4.22 ships without a gradient. */
export const ZERO_GRADIENT_KERNELS = ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalNot'] as const

/**
 * A comparison inside a differentiated function (`tf.where(tf.greater(x, 0), x, y)`, a mask built
 * from the input, `linalg.qr`) makes tfjs throw `Cannot compute gradient: gradient function not
 * found for Greater`: the op lies on the path from the input to the loss and has no gradient.
 * Its true gradient is zero almost everywhere (a step function), so register exactly that. Gradients
 * are global in tfjs (not per backend); kernels that already have one are left alone. Idempotent.
 * The zeros are float32 whatever the input's dtype: tfjs requires every gradient to be float32.
 */
export function installComparisonGradients(): void {
  for (const kernelName of ZERO_GRADIENT_KERNELS) {
    if (tf.getGradient(kernelName)) continue
    const unary = kernelName === 'LogicalNot'
    tf.registerGradient({
      kernelName,
      inputsToSave: unary ? ['x'] : ['a', 'b'],
      gradFunc: (_dy, saved): Record<string, () => tf.Tensor> => {
        if (unary) {
          const [x] = saved as [tf.Tensor]
          return { x: () => tf.zeros(x.shape) }
        }
        const [a, b] = saved as [tf.Tensor, tf.Tensor]
        return { a: () => tf.zeros(a.shape), b: () => tf.zeros(b.shape) }
      },
    })
  }
}
