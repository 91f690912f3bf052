import * as tf from '@tensorflow/tfjs'
import { parseOptions, type LossParts, type Match, type Metrics, type Trick } from '@converge/core'
import { z } from 'zod'
import { groupMatch } from './group-matching.js'
import { groupedSelfAttention } from './grouped-self-attention.js'

/** Options of `groupDetr`. */
export const groupDetrOptionsSchema = z
  .object({
    /** Query groups K, the task's own set included (the official default is 11; 1 is plain DETR). */
    groups: z.number().int().min(1).default(11),
    /**
     * Separate the groups in decoder self-attention (the method). `false` lets all K·Q queries
     * attend to each other: the "naive one-to-many" control the paper reports to fail.
     */
    separateSelfAttention: z.boolean().default(true),
  })
  .strict()

export type GroupDetrOptions = z.input<typeof groupDetrOptionsSchema>
export type ResolvedGroupDetrOptions = z.output<typeof groupDetrOptionsSchema>

export interface GroupDetrTrick extends Trick {
  /** The trick's queries of groups 1…K−1, `[(K−1)·Q, d]` (null before setup or when K = 1). */
  extraQueries(): tf.Variable | null
  /** Evaluates group `g` alone (0 is the task's own set, what evaluation uses). */
  evaluateGroup(g: number): Promise<Metrics>
}

/**
 * Group DETR (Chen et al., ICCV 2023, arXiv 2207.13085): train a DETR with K groups of object
 * queries that share the decoder and heads. The task's own queries are group 0; the trick owns
 * groups 1…K−1. In training, decoder self-attention is separated by group, each group is matched
 * one-to-one (Hungarian) with the ground truth at every decoder layer, and the set loss is
 * normalised by N_gt·K (the mean over groups). Evaluation is untouched: the task decodes with
 * group 0 only, so inference costs nothing extra.
 */
export function groupDetr(options: GroupDetrOptions = {}): GroupDetrTrick {
  const o = parseOptions(groupDetrOptionsSchema, options, 'groupDetr options')
  const K = o.groups
  let extra: tf.Variable | null = null
  let saved: tf.Tensor | null = null
  let evaluate: ((g: number) => Promise<Metrics>) | null = null
  return {
    name: 'group-detr',
    options: o,
    requires: ['querySets'],
    extraQueries: () => extra,
    evaluateGroup: (g) => {
      if (!evaluate) throw new Error('groupDetr: evaluateGroup is available once the run has set up')
      return evaluate(g)
    },
    setup(ctx) {
      const qs = ctx.capability('querySets')
      evaluate = async (g) => {
        if (!Number.isInteger(g) || g < 0 || g >= K) throw new RangeError(`group must be an integer in 0..${K - 1}, got ${g}`)
        if (g === 0 || !extra) return qs.evaluateWith()
        const queries = tf.slice(extra, [(g - 1) * qs.queries, 0], [qs.queries, -1]) as tf.Tensor2D
        try {
          return await qs.evaluateWith(queries)
        } finally {
          queries.dispose()
        }
      }
      if (K === 1) return
      // groups 1…K−1 drawn as the task draws its own queries (or restored from a checkpoint)
      const initial = saved ?? tf.tidy(() => tf.concat(Array.from({ length: K - 1 }, () => qs.initQueries(ctx.rng().opSeed()))))
      extra = tf.variable(initial, true, ctx.variableName('queries'))
      initial.dispose()
      saved = null
      ctx.addTrainableVariables([extra])
    },
    objective(ctx, batch) {
      const qs = ctx.capability('querySets')
      const queries = extra ? (tf.concat([qs.embedding, extra]) as tf.Tensor2D) : qs.embedding
      const out = qs.forward(batch, queries, o.separateSelfAttention && K > 1 ? { selfAttention: groupedSelfAttention(K) } : {})
      const counts = qs.objectCounts(batch)
      const normalizer = Math.max(1, counts.reduce((a, b) => a + b, 0)) * K
      const parts: LossParts = {}
      for (let layer = 0; layer < qs.layers; layer++) {
        const costs = qs.costs(out, layer, batch)
        // costs are read back synchronously: fine on the CPU/WASM backends the bench uses; they
        // are not on the gradient path, so they are freed as soon as they are read
        const matches: Match[][] = costs.map((c, i) => groupMatch(c.dataSync(), qs.queries, K, counts[i]!))
        tf.dispose(costs as tf.Tensor2D[])
        for (const [name, term] of Object.entries(qs.loss(out, layer, batch, matches, normalizer))) parts[`${name}/${layer}`] = term
      }
      return { output: out, parts }
    },
    state: () => ({ extraQueries: extra && !extra.isDisposed ? extra.clone() : saved ? saved.clone() : null }),
    loadState(state) {
      saved?.dispose()
      saved = state.extraQueries instanceof tf.Tensor ? state.extraQueries.clone() : null
      if (extra && !extra.isDisposed && saved) {
        extra.assign(saved)
        saved.dispose()
        saved = null
      }
    },
    dispose() {
      saved?.dispose()
      saved = null
      evaluate = null
    },
  }
}
