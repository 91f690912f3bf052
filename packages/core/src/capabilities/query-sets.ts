import type * as tf from '@tensorflow/tfjs'
import type { Batch, ForwardOutput, LossParts, Metrics } from '../task.js'

/**
 * Wraps a decoder's self-attention: `attend` attends each row of its inputs over that row's own
 * queries. Every input is `[batch, queries, width]` (e.g. the content and the positional part);
 * the wrapper may regroup them (Group DETR: `[B, K·Q, d] → [B·K, Q, d]`) as long as it returns
 * the attended content in the input layout.
 */
export type SelfAttentionWrapper = (attend: (...inputs: tf.Tensor3D[]) => tf.Tensor3D, ...inputs: tf.Tensor3D[]) => tf.Tensor3D

/** One matched pair: prediction `query` (index into the forward's queries) ↔ ground truth `target`. */
export interface Match {
  readonly query: number
  readonly target: number
}

export interface QueryForwardOptions {
  /** Replaces plain self-attention in every decoder layer. */
  readonly selfAttention?: SelfAttentionWrapper
}

/**
 * `querySets`: a set-prediction model (DETR-like) decoding a set of learned object queries.
 * Gives Group DETR what it needs: the query embeddings, a forward with any number of queries that
 * returns every decoder layer's predictions, the matching costs and the set loss for given matches,
 * and evaluation with a chosen set of queries.
 */
export interface QuerySets {
  /** Queries of the task's own set (Q). */
  readonly queries: number
  /** Decoder layers; the forward returns predictions of each (the last one is the output). */
  readonly layers: number
  /** The task's own query embeddings, `[Q, width]`: the set evaluation uses. */
  readonly embedding: tf.Variable<tf.Rank.R2>
  /** Fresh initial values for one more set of queries, drawn as the task draws its own: `[Q, width]`. */
  initQueries(seed: number): tf.Tensor2D
  /** Decodes with `queries` (`[n, width]`); the result holds one prediction set per decoder layer. */
  forward(batch: Batch, queries: tf.Tensor2D, options?: QueryForwardOptions): ForwardOutput
  /**
   * Matching cost of every query against every ground-truth object, per image: `[queries, objects]`
   * tensors (one per image; `objects` may be 0). Read them back to match; not differentiated.
   */
  costs(out: ForwardOutput, layer: number, batch: Batch): readonly tf.Tensor2D[]
  /**
   * The set loss of decoder layer `layer` for the given matches (per image), each term summed over
   * the matched pairs (and, for the class term, over every query) and divided by `normalizer`.
   */
  loss(out: ForwardOutput, layer: number, batch: Batch, matches: readonly (readonly Match[])[], normalizer: number): LossParts
  /** Ground-truth objects per image of a batch. */
  objectCounts(batch: Batch): readonly number[]
  /** Evaluates on the held-out set decoding with `queries` (default: the task's own embedding). */
  evaluateWith(queries?: tf.Tensor2D): Promise<Metrics>
}
