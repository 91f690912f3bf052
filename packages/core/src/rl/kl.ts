import * as tf from '@tensorflow/tfjs'
import { aggregateTokens, type PolicyLossAggregation } from './policy-loss.js'

/** Bounds of the k3 estimate, as verl's `kl_penalty('low_var_kl')`. */
export const K3_CLAMP = 10

/**
 * The k3 ("low-variance") estimator of KL(π_θ ‖ π_ref) for one sampled token:
 * `k = log π_ref − log π_θ; exp(k) − k − 1`, clamped to [−10, 10]. Non-negative, unbiased for
 * samples from π_θ, 0 where the policies agree.
 */
export function k3(logProb: number, refLogProb: number): number {
  const k = refLogProb - logProb
  return Math.min(K3_CLAMP, Math.max(-K3_CLAMP, Math.exp(k) - k - 1))
}

/** Elementwise k3 over tensors of sampled-token log-probs (`logProbs` inside the tape, `refLogProbs` constants). */
export function k3Tensor(logProbs: tf.Tensor, refLogProbs: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = tf.sub(refLogProbs, logProbs)
    return tf.clipByValue(tf.sub(tf.sub(tf.exp(k), k), 1), -K3_CLAMP, K3_CLAMP)
  })
}

/**
 * The KL penalty term: k3 per token, aggregated like the policy loss, times `coef` (verl's
 * `kl_loss_coef`, 0.001 in DUMP's launch scripts). Add it to the loss inside the tape.
 */
export function klPenalty(
  logProbs: tf.Tensor,
  refLogProbs: tf.Tensor,
  coef: number,
  aggregation: PolicyLossAggregation = 'token-mean',
  mask?: tf.Tensor | null,
): tf.Scalar {
  if (!(coef >= 0)) throw new RangeError(`KL coefficient must be non-negative, got ${coef}`)
  return tf.tidy(() => tf.mul(aggregateTokens(k3Tensor(logProbs, refLogProbs), mask, aggregation), coef) as tf.Scalar)
}
