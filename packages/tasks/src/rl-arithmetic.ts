import * as tf from '@tensorflow/tfjs'
import { createRng, parseOptions, type Batch, type LossParts, type Metrics, type TaskDefinition, type TaskInstance } from '@converge/core'
import {
  AppealVerifier,
  appealVerifierSchema,
  advantageOptionsSchema,
  applyRewardChannel,
  createAdvantageEstimator,
  isCleanChannel,
  klPenalty,
  policyLoss,
  policyLossOptionsSchema,
  rewardChannelSchema,
  type RolloutBatch,
} from '@converge/core/rl'
import { z } from 'zod'
import { tidyValues } from './tidy-values.js'

/**
 * What a source is expected to do within the training budget. Only `learnable` sources count in the
 * headline metric; the others are there to be recognised (or not) by a curriculum.
 */
export const RL_SOURCE_ROLES = ['saturated', 'learnable', 'unsolvable', 'control'] as const
export type RlSourceRole = (typeof RL_SOURCE_ROLES)[number]

export const rlArithmeticSourceSchema = z
  .object({
    /** Metric names use it: `accuracy/<name>`. */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
    /**
     * `add`: answer a + b, rewarded by exact match. `coin`: the same kind of prompts, but the reward
     * is a coin flip whatever the answer (irreducible reward noise: a negative control).
     */
    kind: z.enum(['add', 'coin']).default('add'),
    /** Operands come from [0, range); answers are restricted to [0, 2·range − 1). */
    range: z.number().int().min(1).max(1024),
    /**
     * Size of the source's prompt pool: a fixed sample (from `dataSeed`) of its range² operand
     * pairs. Default: all of them, at most 1024.
     */
    poolSize: z.number().int().positive().optional(),
    /** Default: `learnable` for `add`, `control` for `coin`. */
    role: z.enum(RL_SOURCE_ROLES).optional(),
    /** `coin`: probability of reward 1. */
    coinProbability: z.number().min(0).max(1).default(0.5),
    /**
     * This source's verifier noise, replacing the task's `verifier` for its responses (verifiers
     * often err more on some kinds of prompt than on others). Default: the task's.
     */
    verifier: rewardChannelSchema.optional(),
  })
  .strict()

export type RlArithmeticSource = z.input<typeof rlArithmeticSourceSchema>

/** Default mixture: one saturating, two learnable and one out-of-reach source. */
export const DEFAULT_RL_SOURCES: readonly RlArithmeticSource[] = [
  { name: 'add2', range: 2, role: 'saturated' },
  { name: 'add5', range: 5 },
  { name: 'add8', range: 8 },
  { name: 'add128', range: 128, poolSize: 256, role: 'unsolvable' },
]

const DEFAULT_MAX_PROMPTS = 1024

export const rlArithmeticOptionsSchema = z
  .object({
    sources: z.array(rlArithmeticSourceSchema).min(1).prefault([...DEFAULT_RL_SOURCES]),
    /** Prompts per step (batch slots; the curriculum picks one source per slot). */
    prompts: z.number().int().positive().default(16),
    /** Completions sampled per prompt (GRPO's G). */
    groupSize: z.number().int().positive().default(8),
    /**
     * How a prompt is shown (plus a one-hot source id): `prompt`, one input per prompt of every
     * pool (an embedding table: nothing carries over between prompts or sources, each prompt is
     * learnt on its own; the default, and the one that learns reliably); `one-hot`, a and b one-hot
     * side by side; `thermometer`, a and b as n leading ones (the sum is linear in the input). With
     * the last two, negative advantages on one prompt push that answer down on similar prompts, and
     * a prompt whose correct answer collapses to ~1e-8 gets all-wrong groups (no gradient) for
     * good. Measured on the default sources (2 seeds, 800 steps): `prompt` reaches macro accuracy
     * 1.0 by step 400; `one-hot` and `thermometer` stall at 0.38–0.54.
     */
    encoding: z.enum(['prompt', 'one-hot', 'thermometer']).default('prompt'),
    /** Hidden units of the policy MLP. */
    hidden: z.number().int().positive().default(64),
    /** Adam's learning rate. */
    learningRate: z.number().positive().default(1e-2),
    advantage: advantageOptionsSchema.prefault({}),
    policyLoss: policyLossOptionsSchema.prefault({}),
    /** Optimizer updates per batch of rollouts; above 1 the clipped surrogate uses the sampling policy's log-probs. */
    updatesPerBatch: z.number().int().positive().default(1),
    /**
     * Weight of an entropy bonus (mean entropy of each prompt's answer distribution, subtracted
     * from the loss). Too weak to revive an answer whose probability has already collapsed (the
     * gradient on its logit is ~p·|log p|).
     */
    entropyCoef: z.number().min(0).default(0),
    /** Weight of the k3 KL penalty to the initial policy (0: no reference policy is kept). */
    klCoef: z.number().min(0).default(0),
    /** Noise between the exact verifier and the reward training sees. */
    verifier: rewardChannelSchema.prefault({}),
    /** The wrong answer a hackable verifier accepts with probability `verifier.hackAcceptance`. */
    hackAnswer: z.number().int().min(0).default(0),
    /** A second verifier for `rollouts.appeal(indices)`; absent: no appeals. */
    appeal: appealVerifierSchema.optional(),
    /** Evaluation prompts per source: its whole pool when the pool has at most this many, else a fixed sample of it. */
    evalPrompts: z.number().int().positive().default(256),
    /** Seed of the evaluation sample (fixed across run seeds). */
    dataSeed: z.number().int().min(0).default(1),
    /** Macro greedy accuracy over the learnable sources that counts as reaching the target. */
    targetAccuracy: z.number().gt(0).max(1).default(0.8),
  })
  .strict()
  .superRefine((o, ctx) => {
    const names = new Set<string>()
    o.sources.forEach((s, i) => {
      if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `duplicate source name "${s.name}"` })
      names.add(s.name)
    })
    if (!o.sources.some((s) => roleOf(s) === 'learnable')) {
      ctx.addIssue({ code: 'custom', path: ['sources'], message: 'at least one source must have role "learnable" (the metric averages over them)' })
    }
    if (o.sources.some((s) => s.kind === 'coin' && roleOf(s) === 'learnable')) {
      ctx.addIssue({ code: 'custom', path: ['sources'], message: 'a coin source cannot be "learnable": its reward ignores the answer' })
    }
  })

export type RlArithmeticOptions = z.input<typeof rlArithmeticOptionsSchema>
type Resolved = z.output<typeof rlArithmeticOptionsSchema>
type ResolvedSource = Resolved['sources'][number]

function roleOf(s: { kind: 'add' | 'coin'; role?: RlSourceRole | undefined }): RlSourceRole {
  return s.role ?? (s.kind === 'coin' ? 'control' : 'learnable')
}

export interface RlArithmeticBatch extends Batch {
  rollouts: RolloutBatch
  /** One-hot prompts [P, D]. */
  readonly x: tf.Tensor2D
  /** 0 for answers the prompt allows, a large negative number elsewhere, [P, V]. */
  readonly maskBias: tf.Tensor2D
  /** One-hot answer of each response, [P, G, V] (a product, not tf.gather: gather's gradient is slow on WASM). */
  readonly responseOneHot: tf.Tensor3D
  /** log π_old of each response (only with updatesPerBatch > 1). */
  readonly oldLogProbs: tf.Tensor1D | null
  /** log π_ref of each response (only with klCoef > 0). */
  readonly refLogProbs: tf.Tensor1D | null
}

export interface RlArithmeticOutput {
  /** log π_θ over each prompt's answers (masked answers ≈ −1e4), [P, V]. */
  readonly rows: tf.Tensor2D
  /** log π_θ of each sampled response, [P·G]. */
  readonly logProbs: tf.Tensor1D
}

/** The live task, with what an oracle curriculum may read. */
export interface RlArithmeticInstance extends TaskInstance<RlArithmeticBatch, RlArithmeticOutput> {
  /** Source → role, as configured. */
  readonly roles: Readonly<Record<string, RlSourceRole>>
  /** Rollouts sampled so far (prompts × G per batch). */
  readonly rollouts: number
  /**
   * Exact per-source learnability under the clean verifier, from the current policy's answer
   * probabilities on the evaluation prompts: the mean over prompts of P(a group of G is mixed)
   * = 1 − p^G − (1 − p)^G, p = π(correct answer). 0 for coin sources (nothing to learn).
   */
  sourceLearnability(): Record<string, number>
}

/** Large enough to zero a probability after softmax, small enough to stay finite in float32 sums. */
const MASKED = -1e4

/**
 * An RL task family for curricula over sources: a policy MLP (one tanh hidden layer) reads a
 * prompt `a + b` (by default a one-hot prompt id, plus a one-hot source id) and answers with one
 * token in [0, 2·range − 1) of its source: a multiple-choice answer space whose size sets the
 * difficulty (a uniform policy is right with probability 1/(2·range − 1)). G answers are sampled
 * per prompt; an exact verifier scores them, optionally through a noisy channel; GRPO advantages
 * and the policy loss come from @converge/core.
 *
 * Each source has a fixed pool of prompts that training draws from uniformly, with replacement.
 * Small ranges saturate within ~100 steps, middle ranges are learnable, and large ranges
 * (sparse reward: groups are almost always all wrong) stay out of reach within a bench budget.
 * Evaluation is greedy accuracy on a fixed subset of each pool (the whole pool for small sources):
 * with prompt-id inputs nothing generalises to unseen prompts, so it measures how much of each
 * source's pool the policy has learnt. Metric `accuracy`: macro over the `learnable` sources;
 * `accuracy/<name>` per `add` source; `rollouts` sampled so far.
 */
export function rlArithmetic(options: RlArithmeticOptions = {}): TaskDefinition<RlArithmeticBatch, RlArithmeticOutput> & { readonly rolloutsPerStep: number } {
  const o = parseOptions(rlArithmeticOptionsSchema, options, 'rlArithmetic options')
  const sources = o.sources
  const maxRange = Math.max(...sources.map((s) => s.range))
  const S = sources.length
  const poolSizes = sources.map((s) => Math.min(s.range * s.range, s.poolSize ?? DEFAULT_MAX_PROMPTS))
  const poolOffsets = poolSizes.map((_, i) => poolSizes.slice(0, i).reduce((a, b) => a + b, 0))
  const operandWidth = o.encoding === 'prompt' ? poolSizes.reduce((a, b) => a + b, 0) : 2 * maxRange
  const D = operandWidth + S
  const V = 2 * maxRange - 1
  const P = o.prompts
  const G = o.groupSize
  return {
    name: 'rl-arithmetic',
    options: o,
    target: { metric: 'accuracy', direction: 'max', value: o.targetAccuracy },
    optimizer: { name: 'adam', learningRate: o.learningRate },
    rolloutsPerStep: (P * G) / o.updatesPerBatch,
    create(init): RlArithmeticInstance {
      const sourceIndex = new Map(sources.map((s, i) => [s.name, i]))
      const roles: Record<string, RlSourceRole> = Object.fromEntries(sources.map((s) => [s.name, roleOf(s)]))
      const learnable = sources.filter((s) => roleOf(s) === 'learnable')

      // Each source's prompt pool (operand pairs id = a·range + b, a fixed sample when the space
      // is larger than the pool) and its evaluation subset, both fixed by dataSeed.
      const poolRng = createRng(`rl-arithmetic:pool:${o.dataSeed}`)
      const pools = sources.map((s, si) => {
        const all = Array.from({ length: s.range * s.range }, (_, i) => i)
        const ids = all.length <= (poolSizes[si] as number) ? all : poolRng.shuffle(all).slice(0, poolSizes[si]).sort((a, b) => a - b)
        return Int32Array.from(ids)
      })
      const evalRng = createRng(`rl-arithmetic:eval:${o.dataSeed}`)
      /** Evaluation rows of every source (coin rows feed only `sourceLearnability`). */
      const evalRows: { source: number; index: number }[] = []
      pools.forEach((pool, si) => {
        const all = Array.from(pool, (_, k) => k)
        const chosen = all.length <= o.evalPrompts ? all : evalRng.shuffle(all).slice(0, o.evalPrompts).sort((a, b) => a - b)
        for (const index of chosen) evalRows.push({ source: si, index })
      })

      /** Writes prompt row r (pool entry `index` of source `si`) into x, its allowed answers into mask; returns a + b. */
      const writePrompt = (x: Float32Array, mask: Float32Array, r: number, si: number, index: number): number => {
        const s = sources[si] as ResolvedSource
        const id = (pools[si] as Int32Array)[index] as number
        const a = Math.floor(id / s.range)
        const b = id % s.range
        if (o.encoding === 'prompt') {
          x[r * D + (poolOffsets[si] as number) + index] = 1
        } else if (o.encoding === 'one-hot') {
          x[r * D + a] = 1
          x[r * D + maxRange + b] = 1
        } else {
          x.fill(1, r * D, r * D + a)
          x.fill(1, r * D + maxRange, r * D + maxRange + b)
        }
        x[r * D + operandWidth + si] = 1
        mask.fill(0, r * V, r * V + 2 * s.range - 1)
        return a + b
      }
      const evalXData = new Float32Array(evalRows.length * D)
      const evalMaskData = new Float32Array(evalRows.length * V).fill(MASKED)
      const evalLabels = Int32Array.from(evalRows, ({ source, index }, r) => writePrompt(evalXData, evalMaskData, r, source, index))
      const evalX = tf.tensor2d(evalXData, [evalRows.length, D])
      const evalMask = tf.tensor2d(evalMaskData, [evalRows.length, V])
      const evalLabelIndex = tf.tensor1d(Int32Array.from(evalLabels, (label, r) => r * V + label), 'int32')

      const initRng = init.streams.stream('init')
      const limit = Math.sqrt(6 / (D + o.hidden))
      const made = [
        tf.randomUniform([D, o.hidden], -limit, limit, 'float32', initRng.opSeed()),
        tf.zeros([o.hidden]),
        tf.zeros([o.hidden, V]), // zero head: the initial policy is uniform over each prompt's answers
        tf.zeros([V]),
      ]
      const names = ['policy/dense1/kernel', 'policy/dense1/bias', 'policy/head/kernel', 'policy/head/bias']
      const variables = made.map((t, i) => tf.variable(t, true, init.variableName(names[i] as string)))
      made.forEach((t) => t.dispose())
      const reference = o.klCoef > 0 ? variables.map((v) => v.clone()) : null // frozen initial policy

      // tanh, not ReLU: ReLU features are all non-negative, so every prompt's hidden vector shares
      // a common direction, and each answer learnt on one prompt is pushed up on all the others,
      // where it is confidently wrong; prompts then collapse onto wrong answers (measured on the
      // ucb-curriculum mixture, one seed: ReLU plateaus at 0.72 macro accuracy, tanh reaches 0.97).
      const logits = (x: tf.Tensor2D, weights: readonly tf.Tensor[] = variables): tf.Tensor2D => {
        const [k1, c1, k2, c2] = weights as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D]
        return tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, k1), c1)), k2), c2) as tf.Tensor2D
      }
      /** log π(answer | prompt), [P, V]: a softmax over the prompt's allowed answers. */
      const logProbRows = (x: tf.Tensor2D, maskBias: tf.Tensor2D, weights?: readonly tf.Tensor[]): tf.Tensor2D =>
        tf.logSoftmax(tf.add(logits(x, weights), maskBias)) as tf.Tensor2D

      const rolloutRng = init.streams.stream('rollout')
      const verifierRng = init.streams.stream('verifier')
      const coinRng = init.streams.stream('coin')
      const appealVerifier = o.appeal ? new AppealVerifier(o.appeal, init.streams.stream('appeal')) : null
      /** Each source's channel: its own `verifier` when given, else the task's. */
      const channels = sources.map((s) => s.verifier ?? o.verifier)
      const noisy = channels.some((c) => !isCleanChannel(c))
      const advantage = createAdvantageEstimator(o.advantage)
      let batches = 0

      const xBuf = new Float32Array(P * D)
      const maskBuf = new Float32Array(P * V)
      const gatherLogProbs = (rows: Float32Array, index: Int32Array): Float32Array => Float32Array.from(index, (k) => rows[k] as number)

      const sourceLearnability = (): Record<string, number> => {
        const p = tidyValues(() => tf.gather(tf.reshape(tf.softmax(tf.add(logits(evalX), evalMask)), [-1]), evalLabelIndex))
        const sum = new Float64Array(S)
        const count = new Float64Array(S)
        evalRows.forEach(({ source }, r) => {
          const q = p[r] as number
          sum[source] = (sum[source] as number) + 1 - q ** G - (1 - q) ** G
          count[source] = (count[source] as number) + 1
        })
        return Object.fromEntries(sources.map((s, si) => [s.name, s.kind === 'coin' ? 0 : (sum[si] as number) / (count[si] as number)]))
      }

      return {
        variables,
        capabilities: {
          rewards: { groupSize: G, appeals: appealVerifier !== null },
          sources: { names: sources.map((s) => s.name), slots: P, learnability: sourceLearnability },
        },
        updatesPerBatch: o.updatesPerBatch,
        roles,
        get rollouts() {
          return batches * P * G
        },
        batch({ sources: chosen, rng }): RlArithmeticBatch {
          xBuf.fill(0)
          maskBuf.fill(MASKED)
          const answersOf = new Int32Array(P)
          const sourceOf = new Int32Array(P)
          for (let p = 0; p < P; p++) {
            const si = sourceIndex.get(chosen[p] as string) as number
            // Prompts are drawn uniformly from the source's pool, with replacement.
            answersOf[p] = writePrompt(xBuf, maskBuf, p, si, rng.int(pools[si]!.length))
            sourceOf[p] = si
          }
          const x = tf.tensor2d(xBuf, [P, D])
          const maskBias = tf.tensor2d(maskBuf, [P, V])
          const rows = tidyValues(() => logProbRows(x, maskBias)) as Float32Array
          const refRows = reference ? (tidyValues(() => logProbRows(x, maskBias, reference)) as Float32Array) : null

          const index = new Int32Array(P * G)
          const oneHot = new Float32Array(P * G * V)
          const clean = new Float32Array(P * G)
          const hackable = new Uint8Array(P * G)
          const responseSources: string[] = []
          const weights = new Float64Array(V)
          for (let p = 0; p < P; p++) {
            const s = sources[sourceOf[p] as number] as ResolvedSource
            for (let v = 0; v < V; v++) weights[v] = Math.exp(rows[p * V + v] as number)
            for (let g = 0; g < G; g++) {
              const i = p * G + g
              const answer = rolloutRng.categorical(weights)
              index[i] = p * V + answer
              oneHot[i * V + answer] = 1
              if (s.kind === 'coin') clean[i] = coinRng.next() < s.coinProbability ? 1 : 0
              else clean[i] = answer === answersOf[p] ? 1 : 0
              hackable[i] = s.kind === 'add' && clean[i] === 0 && answer === o.hackAnswer ? 1 : 0
              responseSources.push(s.name)
            }
          }
          // One uniform per response in order, whichever source's channel applies, so the noise
          // stream stays aligned across arms and settings.
          const observed = Float32Array.from(clean)
          if (noisy) {
            for (let p = 0; p < P; p++) {
              const span = [p * G, (p + 1) * G] as const
              observed.set(applyRewardChannel(clean.subarray(...span), channels[sourceOf[p] as number]!, verifierRng, hackable.subarray(...span)), p * G)
            }
          }
          const rollouts: RolloutBatch = {
            groupSize: G,
            sources: responseSources,
            observed,
            clean,
            ...(appealVerifier ? { appeal: (indices: readonly number[]) => appealVerifier.judge(clean, indices) } : {}),
          }
          batches++
          return {
            sources: chosen,
            rollouts,
            x,
            maskBias,
            responseOneHot: tf.tensor3d(oneHot, [P, G, V]),
            oldLogProbs: o.updatesPerBatch > 1 ? tf.tensor1d(gatherLogProbs(rows, index)) : null,
            refLogProbs: refRows ? tf.tensor1d(gatherLogProbs(refRows, index)) : null,
          }
        },
        forward(batch): RlArithmeticOutput {
          const rows = logProbRows(batch.x, batch.maskBias)
          return { rows, logProbs: tf.reshape(tf.sum(tf.mul(tf.expandDims(rows, 1), batch.responseOneHot), 2), [P * G]) as tf.Tensor1D }
        },
        loss(out, batch): LossParts {
          const advantages = batch.rollouts.advantages
          if (!advantages) throw new Error('rl-arithmetic: rollouts reached the loss without advantages')
          const parts: LossParts = {
            pg: policyLoss({ logProbs: out.logProbs, oldLogProbs: batch.oldLogProbs, advantages }, o.policyLoss),
          }
          if (o.entropyCoef > 0) {
            // Σ_v p·log p over allowed answers; masked ones have p = 0 exactly in float32.
            const entropy = tf.neg(tf.mean(tf.sum(tf.mul(tf.exp(out.rows), out.rows), 1)))
            parts.entropy = tf.mul(entropy, -o.entropyCoef) as tf.Scalar
          }
          if (batch.refLogProbs) parts.kl = klPenalty(out.logProbs, batch.refLogProbs, o.klCoef, o.policyLoss.aggregation)
          return parts
        },
        advantages: (rollouts) => advantage.compute(rollouts.observed, rollouts.groupSize),
        evaluate(): Metrics {
          const predicted = tidyValues(() => tf.argMax(tf.add(logits(evalX), evalMask), 1))
          const correct = new Float64Array(S)
          const total = new Float64Array(S)
          evalRows.forEach(({ source }, r) => {
            total[source] = (total[source] as number) + 1
            if (predicted[r] === evalLabels[r]) correct[source] = (correct[source] as number) + 1
          })
          const metrics: Metrics = {}
          let macro = 0
          sources.forEach((s, si) => {
            if (s.kind !== 'add') return
            const acc = (correct[si] as number) / (total[si] as number)
            metrics[`accuracy/${s.name}`] = acc
            if (roleOf(s) === 'learnable') macro += acc / learnable.length
          })
          metrics.accuracy = macro
          metrics.rollouts = batches * P * G
          if (appealVerifier) metrics.appealCalls = appealVerifier.calls
          if (o.advantage.normalize === 'ema-std') metrics.advantageScale = advantage.emaScale
          return metrics
        },
        sourceLearnability,
        // Counters and the advantage normaliser's running scale (for checkpoints); draws come from the run's streams.
        state: () => ({ batches, appealCalls: appealVerifier?.calls ?? 0, advantage: advantage.state() }),
        loadState(state) {
          if (typeof state.batches !== 'number' || typeof state.appealCalls !== 'number' || !state.advantage) {
            throw new TypeError('rl-arithmetic: loadState expects { batches, appealCalls, advantage } as state() returns')
          }
          batches = state.batches
          if (appealVerifier) appealVerifier.calls = state.appealCalls
          advantage.loadState(state.advantage as Record<string, unknown>)
        },
        dispose() {
          for (const v of variables) v.dispose()
          for (const t of reference ?? []) t.dispose()
          evalX.dispose()
          evalMask.dispose()
          evalLabelIndex.dispose()
        },
      }
    },
  }
}
