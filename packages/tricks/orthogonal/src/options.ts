import { DEFAULT_ALWAYS_ADAM } from '@converge/core'
import { z } from 'zod'
import { SHAPE_SCALES } from './shape-scale.js'


/** How hidden matrices are updated: orthogonalized momentum (Muon/ROOT), or AdamW like the rest (baselines). */
export const MATRIX_RULES = ['orthogonal', 'adamw'] as const
export type MatrixRule = (typeof MATRIX_RULES)[number]

/** Newton–Schulz coefficients: Muon's triple everywhere, or ROOT's per-shape table with Muon's triple elsewhere. */
export const COEFFICIENT_SETS = ['muon', 'root'] as const
export type CoefficientSet = (typeof COEFFICIENT_SETS)[number]

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

/** Settings shared by the optimizer's config and the tricks' options (no learning rates). */
const settingsShape = {
  matrixRule: z.enum(MATRIX_RULES).default('orthogonal'),
  /** Momentum β of the matrices' buffer m ← β·m + (1 − β)·g. */
  momentum: z.number().min(0).lt(1).default(0.95),
  /** Nesterov: orthogonalize (1 − β)·g + β·m instead of m. */
  nesterov: z.boolean().default(true),
  /** Newton–Schulz steps; 0 only normalises (a diagnostic setting). Fitted triples assume 5. */
  nsSteps: z.number().int().min(0).max(20).default(5),
  coefficients: z.enum(COEFFICIENT_SETS).default('muon'),
  scale: z.enum(SHAPE_SCALES).default('keller'),
  /**
   * Clip each matrix's Newton–Schulz input (rule 'orthogonal') or gradient (rule 'adamw') to
   * ±its q-quantile of |entries| before use; null: no clip. ROOT uses 0.9.
   */
  clipPercentile: z.number().gt(0).max(1).nullable().default(null),
  /** Decoupled weight decay of the matrices: p ← p·(1 − lr·weightDecay). */
  weightDecay: z.number().min(0).default(0),
  /** Decoupled weight decay of the AdamW parameters (default: `weightDecay`). */
  adamWeightDecay: z.number().min(0).optional(),
  /** Regular expression: only matching variables may be routed as matrices. */
  include: regexString('include').default('.*'),
  /** Regular expression: matching variables always get AdamW. */
  alwaysAdam: regexString('alwaysAdam').default(DEFAULT_ALWAYS_ADAM),
  /** When no name marks a head, keep the last matrix (in variable order) on AdamW as the head. */
  headByShape: z.boolean().default(false),
  /** Route conv kernels [kh, kw, in, out] as [kh·kw·in, out] matrices (Muon's flattening). */
  flattenKernels: z.boolean().default(true),
}

/** Everything an OrthogonalOptimizer needs; JSON-serialisable, what `getConfig` returns. */
export const orthogonalOptimizerConfigSchema = z
  .object({
    ...settingsShape,
    /** Learning rate of the hidden matrices. */
    learningRate: z.number().positive(),
    /** Learning rate of the AdamW parameters (default: `learningRate`); schedules scale both alike. */
    adamLearningRate: z.number().positive().optional(),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-8),
  })
  .strict()
export type OrthogonalOptimizerConfig = z.input<typeof orthogonalOptimizerConfigSchema>
export type ResolvedOrthogonalOptimizerConfig = z.output<typeof orthogonalOptimizerConfigSchema>

/**
 * Options of the tricks (`muon`, `root`, `adamw`): the settings, the matrices' learning rate, and
 * optional overrides of the task's Adam (rate, betas, epsilon) for the AdamW parameters.
 */
export const orthogonalOptionsSchema = z
  .object({
    ...settingsShape,
    /**
     * Learning rate of the hidden matrices. Default: 0.02 with the 'keller' or 'none' scale (Muon's
     * default), the task's rate with 'moonlight' (shared with AdamW, as ROOT's code does) or with rule 'adamw'.
     */
    learningRate: z.number().positive().optional(),
    /** Learning rate of the AdamW parameters; default: the task's rate. */
    adamLearningRate: z.number().positive().optional(),
    beta1: z.number().min(0).lt(1).optional(),
    beta2: z.number().min(0).lt(1).optional(),
    epsilon: z.number().positive().optional(),
  })
  .strict()
export type OrthogonalOptions = z.input<typeof orthogonalOptionsSchema>
export type ResolvedOrthogonalOptions = z.output<typeof orthogonalOptionsSchema>
