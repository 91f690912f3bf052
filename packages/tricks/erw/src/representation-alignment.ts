import * as tf from '@tensorflow/tfjs'
import { ConfigError, ContractError, parseOptions, reportOnly, type Batch, type Generative, type LossParts, type Trick, type TrickState } from '@converge/core'
import { z } from 'zod'
import { alignmentLoss } from './alignment.js'
import type { FrozenEncoder, TeacherLoader } from './frozen-encoder.js'
import { Projector } from './projector.js'
import { alignmentWeightAt, alignmentWeightSchema, resolveSteps, type AlignmentWeight } from './schedule.js'

export const representationAlignmentOptionsSchema = z
  .object({
    teacher: z.custom<TeacherLoader>((v) => typeof v === 'function', { message: 'teacher must be a function returning a FrozenEncoder (or a promise of one)' }),
    /** Block (1-based, in the task's `hiddenStates.layers` order) whose noisy-input state is aligned during main training. */
    alignDepth: z.number().int().min(1),
    /** Projector MLP hidden width. */
    projectorHidden: z.number().int().positive().default(64),
    /** λ(s) over main-phase steps. */
    weight: alignmentWeightSchema,
    /** ERW warm-up: steps (0 = none), blocks trained (the L2R region), alignment weight. */
    warmup: z
      .object({
        /** Steps, or `{ fraction }` of the run's maxSteps (resolved at setup). */
        steps: z.union([z.number().int().min(0), z.object({ fraction: z.number().min(0).lt(1) }).strict()]),
        depth: z.number().int().min(1),
        weight: z.number().positive().default(0.5),
      })
      .strict()
      .optional(),
  })
  .strict()

export type RepresentationAlignmentOptions = z.input<typeof representationAlignmentOptionsSchema>

/** What a test or a report can read from the trick after setup. */
export interface RepresentationAlignmentTrick extends Trick {
  /** The projector's variables (null before setup). */
  projectorVariables(): readonly tf.Variable[] | null
  /** The phase-2 alignment weight at main-phase step `s` (after setup when the half-life is a fraction). */
  weightAt(s: number): number
  /** Warm-up steps as resolved at setup (0 without a warm-up; null before setup). */
  warmupSteps(): number | null
}

/**
 * The shared machinery of REPA and ERW: a per-token projector from block `alignDepth`'s hidden
 * state to a frozen teacher's patch features, an alignment term λ(s)·L_align added to the task's
 * loss (the unweighted L_align is reported as `align/raw`), and — for ERW — a setup phase that first
 * trains the embedders, the first `warmup.depth` blocks and the projector on clean inputs at t = 0
 * with 0.5·L_align only. The warm-up trains the task's own variables, so main training continues from
 * exactly the warmed weights (the transfer the released code skips in a single run), with a fresh
 * optimizer; later blocks and the final layer are untouched by it.
 */
export function representationAlignment(name: string, options: RepresentationAlignmentOptions): RepresentationAlignmentTrick {
  const o = parseOptions(representationAlignmentOptionsSchema, options, `${name} options`)
  const weight: AlignmentWeight = o.weight
  let teacher: FrozenEncoder | null = null
  let projector: Projector | null = null
  let saved: tf.Tensor[] | null = null
  let alignLayer = ''
  let warmupSteps: number | null = null
  let mainSteps: number | undefined
  /** The teacher's tokens for the batch in use, computed in beforeStep (outside the gradient tape). */
  let targets: { batch: Batch; features: tf.Tensor3D } | null = null

  const encodeTargets = (gen: Generative, batch: Batch): tf.Tensor3D => tf.tidy(() => (teacher as FrozenEncoder).encode(gen.clean(batch)))
  /**
   * The teacher's tokens for `batch`: the ones beforeStep computed when it was this batch (the usual
   * case), else computed here, in the tape. Same numbers either way; outside the tape the teacher's
   * forward saves no tensors for a backward pass it never gets, and a batch reused for several
   * updates is encoded once.
   */
  const targetsFor = (gen: Generative, batch: Batch): tf.Tensor3D => (targets?.batch === batch ? targets.features : encodeTargets(gen, batch))
  const dropTargets = (): void => {
    targets?.features.dispose()
    targets = null
  }

  const snapshot = (): tf.Tensor[] | null =>
    projector && !projector.variables[0]!.isDisposed ? projector.variables.map((v) => v.clone()) : saved ? saved.map((t) => t.clone()) : null

  return {
    name,
    options: { ...o, teacher: 'function' },
    requires: ['generative', 'hiddenStates'],
    projectorVariables: () => projector?.variables ?? null,
    weightAt: (s) => alignmentWeightAt(weight, s, mainSteps),
    warmupSteps: () => warmupSteps,

    async setup(ctx) {
      const gen = ctx.capability('generative')
      const hidden = ctx.capability('hiddenStates')
      if (o.alignDepth > hidden.layers.length) throw new ConfigError(`${name}: alignDepth ${o.alignDepth} exceeds the task's ${hidden.layers.length} hidden layers`)
      if (o.warmup && o.warmup.depth > gen.depth) throw new ConfigError(`${name}: warmup.depth ${o.warmup.depth} exceeds the denoiser's ${gen.depth} blocks`)
      alignLayer = hidden.layers[o.alignDepth - 1]!
      warmupSteps = o.warmup ? resolveSteps(o.warmup.steps, ctx.maxSteps, 'warmup.steps') : 0
      if (warmupSteps >= ctx.maxSteps) throw new ConfigError(`${name}: ${warmupSteps} warm-up steps leave no main training in ${ctx.maxSteps} steps`)
      mainSteps = ctx.maxSteps - warmupSteps
      teacher = await o.teacher()
      if (!teacher || typeof teacher.encode !== 'function') throw new ContractError(`${name}: the teacher loader returned ${String(teacher)}, not a FrozenEncoder`)
      if (teacher.tokens.tokens !== gen.tokens.tokens) {
        throw new ConfigError(`${name}: the teacher gives ${teacher.tokens.tokens} tokens but the denoiser has ${gen.tokens.tokens}; their patch grids must match`)
      }
      const width = hidden.shape(alignLayer).width
      projector = new Projector(width, o.projectorHidden, teacher.tokens.width, ctx.rng('projector'), (local) => ctx.variableName(local), saved ?? undefined)
      // added before the phase: the main optimizer trains it too, and the run frees it whatever happens
      ctx.addTrainableVariables(projector.variables)
      const p = projector
      if (o.warmup && warmupSteps > 0) {
        const w = o.warmup
        await ctx.runPhase({
          name: 'erw-warmup',
          steps: warmupSteps,
          variables: [...gen.variablesTo(w.depth), ...p.variables],
          // embedders + depth of the denoiser's blocks, no final layer (plus the same teacher forward as a main step)
          cost: w.depth / gen.depth,
          objective: (_c, batch) => {
            const raw = alignmentLoss(p.apply(gen.encodeClean(batch, w.depth)), targetsFor(gen, batch))
            return { 'align/warmup': tf.mul(w.weight, raw) as tf.Scalar, 'align/raw': reportOnly(raw) }
          },
        })
      }
    },

    beforeStep(ctx) {
      if (!teacher || targets?.batch === ctx.batch) return
      dropTargets()
      targets = { batch: ctx.batch, features: encodeTargets(ctx.capability('generative'), ctx.batch) }
    },

    loss(ctx, parts, out): LossParts {
      const p = projector as Projector
      const state = ctx.capability('hiddenStates').read(out, alignLayer)
      const raw = alignmentLoss(p.apply(state), targetsFor(ctx.capability('generative'), ctx.batch))
      const lambda = alignmentWeightAt(weight, ctx.phase.step, mainSteps)
      return { ...parts, align: tf.mul(lambda, raw) as tf.Scalar, 'align/raw': reportOnly(raw) }
    },

    state(): TrickState {
      return { projector: snapshot() }
    },

    loadState(state) {
      const tensors = state.projector
      if (tensors !== null && !(Array.isArray(tensors) && tensors.every((x) => x instanceof tf.Tensor))) {
        throw new ConfigError(`${name}: state.projector must be an array of tensors or null`)
      }
      saved?.forEach((x) => x.dispose())
      saved = tensors ? (tensors as tf.Tensor[]).map((x) => x.clone()) : null
    },

    dispose() {
      dropTargets()
      teacher?.dispose()
      teacher = null
      saved?.forEach((x) => x.dispose())
      saved = null
    },
  }
}
