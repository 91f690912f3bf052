import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'

/**
 * How per-token loss terms are averaged into one scalar (responses may have several tokens):
 * - `token-mean`: over every response token of the batch at once (verl's `masked_mean`): long
 *   responses weigh more.
 * - `sequence-mean`: over each response's tokens first, then over responses (DeepSeekMath GRPO).
 * - `token-sum-norm`: the token sum divided by a constant, responses × max length (Dr.GRPO): no
 *   length normalisation per response.
 * With one token per response (T = 1, no mask) all three coincide.
 */
export const POLICY_LOSS_AGGREGATIONS = ['token-mean', 'sequence-mean', 'token-sum-norm'] as const
export type PolicyLossAggregation = (typeof POLICY_LOSS_AGGREGATIONS)[number]

export const policyLossOptionsSchema = z
  .object({
    /** ε of the clipped surrogate: ratios are clipped to [1 − ε, 1 + ε_high]. verl's default 0.2. */
    clipRatio: z.number().positive().lt(1).default(0.2),
    /** Upper clip ε_high (default: `clipRatio`, the symmetric PPO clip). */
    clipRatioHigh: z.number().positive().optional(),
    aggregation: z.enum(POLICY_LOSS_AGGREGATIONS).default('token-mean'),
  })
  .strict()

export type PolicyLossOptions = z.input<typeof policyLossOptionsSchema>

export interface PolicyLossInputs {
  /** log π_θ of each sampled token, [N] (one token per response) or [N, T]; inside the tape. */
  readonly logProbs: tf.Tensor
  /**
   * log π_old of the same tokens when the rollouts were sampled, same shape; constants (no
   * gradient). Omit for a single update per batch: then ρ ≡ 1, clipping is inert and the loss is
   * REINFORCE with the group baseline, `−A · log π_θ`, whose gradient equals the surrogate's at ρ = 1.
   */
  readonly oldLogProbs?: tf.Tensor | null
  /** One advantage per response, [N]. */
  readonly advantages: tf.Tensor1D | Float32Array
  /** 1 for response tokens, 0 for padding, [N, T] (default: all ones). */
  readonly mask?: tf.Tensor | null
}

function asMatrix(t: tf.Tensor): tf.Tensor2D {
  if (t.rank === 1) return t.expandDims(1) as tf.Tensor2D
  if (t.rank === 2) return t as tf.Tensor2D
  throw new RangeError(`expected a tensor of rank 1 ([N]) or 2 ([N, T]), got shape [${t.shape.join(', ')}]`)
}

/** Averages per-token terms `[N, T]` by `aggregation`, counting only tokens where `mask` is 1. */
export function aggregateTokens(terms: tf.Tensor, mask: tf.Tensor | null | undefined, aggregation: PolicyLossAggregation): tf.Scalar {
  return tf.tidy(() => {
    const l = asMatrix(terms)
    const m = mask ? asMatrix(mask).toFloat() : tf.onesLike(l)
    const masked = tf.mul(l, m)
    const [n, t] = l.shape
    switch (aggregation) {
      case 'token-mean':
        return tf.div(tf.sum(masked), tf.maximum(tf.sum(m), 1)) as tf.Scalar
      case 'sequence-mean':
        return tf.mean(tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(m, 1), 1))) as tf.Scalar
      case 'token-sum-norm':
        return tf.div(tf.sum(masked), n * t) as tf.Scalar
    }
  })
}

/**
 * GRPO/PPO policy loss. With old log-probs: the clipped surrogate per token,
 * `max(−A·ρ, −A·clip(ρ, 1 − ε, 1 + ε_high))`, `ρ = exp(log π_θ − log π_old)` (verl's
 * `compute_policy_loss`); without: `−A · log π_θ`. Then aggregated by `options.aggregation`.
 * Call it inside the gradient tape.
 */
export function policyLoss(inputs: PolicyLossInputs, options: PolicyLossOptions = {}): tf.Scalar {
  const o = policyLossOptionsSchema.parse(options)
  return tf.tidy(() => {
    const logp = asMatrix(inputs.logProbs)
    const n = logp.shape[0]
    const a = inputs.advantages instanceof Float32Array ? tf.tensor2d(inputs.advantages, [inputs.advantages.length, 1]) : asMatrix(inputs.advantages)
    if (a.shape[0] !== n) throw new RangeError(`advantages has ${a.shape[0]} entries for ${n} responses`)
    let perToken: tf.Tensor
    if (inputs.oldLogProbs) {
      const ratio = tf.exp(tf.sub(logp, asMatrix(inputs.oldLogProbs)))
      const clipped = tf.clipByValue(ratio, 1 - o.clipRatio, 1 + (o.clipRatioHigh ?? o.clipRatio))
      perToken = tf.maximum(tf.neg(tf.mul(a, ratio)), tf.neg(tf.mul(a, clipped)))
    } else {
      perToken = tf.neg(tf.mul(a, logp))
    }
    return aggregateTokens(perToken, inputs.mask, o.aggregation)
  })
}

/**
 * Fraction of (masked) tokens where the clip is active, i.e. where the clipped branch sets the
 * loss and carries no gradient. Diagnostics only; not differentiable.
 */
export function clipFraction(logProbs: tf.Tensor, oldLogProbs: tf.Tensor, advantages: tf.Tensor1D | Float32Array, options: PolicyLossOptions = {}, mask?: tf.Tensor | null): tf.Scalar {
  const o = policyLossOptionsSchema.parse(options)
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(asMatrix(logProbs), asMatrix(oldLogProbs)))
    const a = advantages instanceof Float32Array ? tf.tensor2d(advantages, [advantages.length, 1]) : asMatrix(advantages)
    const high = tf.logicalAnd(tf.greater(a, 0), tf.greater(ratio, 1 + (o.clipRatioHigh ?? o.clipRatio)))
    const low = tf.logicalAnd(tf.less(a, 0), tf.less(ratio, 1 - o.clipRatio))
    const active = tf.cast(tf.logicalOr(high, low), 'float32')
    return aggregateTokens(active, mask, 'token-mean')
  })
}
