import { DEFAULT_ALWAYS_ADAM } from '@converge/core'
import { z } from 'zod'

/** How the state-full (Adam) part of each projectable weight is chosen at every refresh. */
export const SUBSPACES = ['svd', 'random', 'columns', 'randk', 'blocks'] as const
export type Subspace = (typeof SUBSPACES)[number]

/** What updates the rest of each projectable weight: sign of the residual, the residual itself, or nothing. */
export const STATE_FREE_RULES = ['signsgd', 'sgd', 'none'] as const
export type StateFreeRule = (typeof STATE_FREE_RULES)[number]

export const BLOCK_ORDERS = ['random', 'descending', 'ascending'] as const
export type BlockOrder = (typeof BLOCK_ORDERS)[number]

/** Which side an svd/random projector acts on: 'std' takes the smaller dimension (GaLore's rule). */
export const PROJECTION_SIDES = ['std', 'left', 'right'] as const
export type ProjectionSide = (typeof PROJECTION_SIDES)[number]

const regexString = (what: string) =>
  z.string().refine(
    (s) => {
      try {
        new RegExp(s)
        return true
      } catch {
        return false
      }
    },
    { message: `${what} must be a valid regular expression` },
  )

/** Names of the parameters that stay on full Adam by default: embeddings, norms, the output head. */
export const DEFAULT_KEEP_ADAM = DEFAULT_ALWAYS_ADAM

/** The optimizer-level settings, shared by the optimizer config and the trick's options. */
const settingsShape = {
  /**
   * Share ρ of each projectable weight that gets Adam state: the rank fraction (svd/random), the
   * column fraction (columns), the entry fraction (randk), or the fraction of tensors (blocks).
   */
  density: z.number().min(0).max(1).default(0.25),
  subspace: z.enum(SUBSPACES).default('svd'),
  /** Rule for the state-free remainder. Default 'signsgd' (FRUGAL); 'none' drops it (GaLore-style). */
  stateFree: z.enum(STATE_FREE_RULES).default('signsgd'),
  /** Refresh the subspace every this many steps (T). */
  updateGap: z.number().int().positive().default(200),
  /**
   * Zero the Adam moments and restart bias correction at every refresh (FRUGAL). `false` reuses
   * the old moments in the new coordinates, as GaLore does — a basis mismatch; baseline use only.
   */
  resetOnRefresh: z.boolean().default(true),
  /** Learning-rate multiplier of the state-full (Adam) part of projectable weights. */
  projLrScale: z.number().min(0).default(1),
  /** Extra multiplier of the state-free part: its rate is lr · projLrScale · stateFreeLrScale. */
  stateFreeLrScale: z.number().min(0).default(1),
  /** Decoupled weight decay on every parameter: p ← p·(1 − lr·weightDecay) before the update. */
  weightDecay: z.number().min(0).default(0),
  /** Block order for subspace 'blocks'. */
  blockOrder: z.enum(BLOCK_ORDERS).default('random'),
  projectionSide: z.enum(PROJECTION_SIDES).default('std'),
  /** Regular expression: only variables whose name matches may be projected. */
  project: regexString('project').default('.*'),
  /** Regular expression: matching variables always get full Adam (embeddings, norms, output head). */
  keepAdam: regexString('keepAdam').default(DEFAULT_KEEP_ADAM),
  /**
   * When no variable's name marks an output head (head, logits, output), keep the last matrix in
   * variable order on Adam as the head (finds a tf.LayersModel's `dense_Dense3/kernel`). Off by
   * default, so models that name their head route exactly as before.
   */
  headByShape: z.boolean().default(false),
  /** Also project 1-D variables (biases, norm gains) that pass the patterns, as 1×n matrices. */
  projectVectors: z.boolean().default(false),
  /** Extra directions in the randomized SVD sketch. */
  svdOversample: z.number().int().min(0).default(8),
  /** Power iterations in the randomized SVD. */
  svdPowerIterations: z.number().int().min(0).default(2),
}

interface SettingsForCheck {
  density: number
  stateFree: StateFreeRule
  subspace: Subspace
  resetOnRefresh: boolean
}

function checkSettings(o: SettingsForCheck, ctx: z.RefinementCtx): void {
  if (o.density === 0 && o.stateFree === 'none') {
    ctx.addIssue({
      code: 'custom',
      path: ['stateFree'],
      message: "density 0 with stateFree 'none' would never update the projectable weights; use 'signsgd' or 'sgd', or a density > 0",
    })
  }
  if (o.subspace === 'blocks' && !o.resetOnRefresh) {
    ctx.addIssue({
      code: 'custom',
      path: ['resetOnRefresh'],
      message: "subspace 'blocks' always starts newly active tensors with fresh Adam state; resetOnRefresh: false applies to svd, random, columns and randk",
    })
  }
}

/** Settings alone (no learning rate): what `frugal()` and `galoreLike()` share. */
export const frugalSettingsSchema = z.object(settingsShape).strict().superRefine(checkSettings)
export type FrugalSettings = z.input<typeof frugalSettingsSchema>
export type ResolvedFrugalSettings = z.output<typeof frugalSettingsSchema>

/** Everything a FrugalOptimizer needs: JSON-serialisable, what `getConfig` returns. */
export const frugalOptimizerConfigSchema = z
  .object({
    ...settingsShape,
    learningRate: z.number().positive(),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
    /** Seed of every random choice the optimizer makes (subspaces, blocks, SVD sketches). */
    seed: z.number().int().min(0).default(1),
  })
  .strict()
  .superRefine(checkSettings)
export type FrugalOptimizerConfig = z.input<typeof frugalOptimizerConfigSchema>
export type ResolvedFrugalOptimizerConfig = z.output<typeof frugalOptimizerConfigSchema>

/** Options of the `frugal()` trick: the settings, plus optional overrides of the task's Adam. */
export const frugalOptionsSchema = z
  .object({
    ...settingsShape,
    /** Replaces the task's learning rate (schedules from other tricks still scale it). */
    learningRate: z.number().positive().optional(),
    beta1: z.number().min(0).lt(1).optional(),
    beta2: z.number().min(0).lt(1).optional(),
    epsilon: z.number().positive().optional(),
    /** Fixed seed for the optimizer's random choices; default: drawn from the run's 'frugal' stream. */
    seed: z.number().int().min(0).optional(),
  })
  .strict()
  .superRefine(checkSettings)
export type FrugalOptions = z.input<typeof frugalOptionsSchema>
export type ResolvedFrugalOptions = z.output<typeof frugalOptionsSchema>
