import * as tf from '@tensorflow/tfjs'
import type { SelfAttentionWrapper } from '@converge/core'

/**
 * Group-separated decoder self-attention, as the official code does it: queries laid out
 * `[B, K·Q, d]` (groups contiguous per image) are reshaped to `[B·K, Q, d]` so each group is its
 * own batch row, attended, and reshaped back. Exactly a block-diagonal mask over the K·Q queries,
 * at 1/K of its cost (and no −∞ entries).
 */
export function groupedSelfAttention(groups: number): SelfAttentionWrapper {
  return (attend, ...inputs) => {
    const [batch, queries, width] = inputs[0]!.shape
    if (queries % groups !== 0) throw new RangeError(`${queries} queries do not split into ${groups} equal groups`)
    const out = attend(...inputs.map((x) => tf.reshape(x, [batch * groups, queries / groups, x.shape[2]]) as tf.Tensor3D))
    return tf.reshape(out, [batch, queries, width]) as tf.Tensor3D
  }
}
