import type { OptimizerSpec } from './optimizer.js'
import type { EvalRecord, RunResult } from './result.js'
import type { Target, TaskDefinition } from './task.js'
import type { Trick } from './trick.js'

/** `quick` is what the default `pnpm bench` runs; `full` is the size the method cards quote. */
export type BenchSize = 'quick' | 'full'

/** Per-run numbers an arm records beside its result (e.g. optimizer-state bytes, an allocation trace). */
export type RunExtras = Record<string, number | string | readonly number[]>

/**
 * Hyperparameters the bench chose for an arm from its `tune` grid (e.g. `{ lr: 0.003 }`); empty for
 * an arm without a grid.
 */
export type Hyperparams = Readonly<Record<string, number>>

/**
 * A search space tuned per arm on tuning seeds disjoint from the reported ones (AlgoPerf's
 * external-tuning rule): every combination of the listed values is tried, the one with the best
 * median steps-to-target wins, and the reported seeds run at it.
 */
export type TuneSpec = Readonly<Record<string, readonly number[]>>

/** One arm of an ablation: a list of tricks (or none: a baseline) and optional overrides. */
export interface ArmSpec {
  readonly name: string
  readonly description?: string
  /**
   * Fresh tricks for one run; called once per run with the hyperparameters chosen from `tune`
   * (empty without it). Return [] for a baseline arm.
   */
  tricks(hp: Hyperparams): Trick[]
  /** Search space for this arm, e.g. `{ lr: [1e-3, 3e-3, 1e-2] }`; read by `tricks` and `optimizer`. */
  readonly tune?: TuneSpec
  /**
   * Replaces the task's optimizer for this arm: a fixed spec, or one built from the tuned
   * hyperparameters (e.g. `(hp) => ({ name: 'adam', learningRate: hp.lr })`).
   */
  readonly optimizer?: OptimizerSpec | ((hp: Hyperparams) => OptimizerSpec)
  /**
   * Replaces the suite's task for this arm, e.g. a noise-free ceiling arm. Seeds stay paired (the
   * same seed streams), but say in the suite's notes what differs.
   */
  task?(size: BenchSize): TaskDefinition
  /**
   * Budget-matched comparison: fractions of the size's `maxSteps` (each in (0, 1)) at which the arm
   * also runs, each a complete run with its own budget (schedule tricks read the run's `maxSteps`,
   * so one config serves every budget). The report gives T_baseline / T*, T* the smallest budget at
   * which the arm's final metric matches the baseline's final metric at `maxSteps` (interpolated in
   * log budget), per seed pair, with an interval. The arm's run at `maxSteps` is the largest budget.
   */
  readonly budgetFractions?: readonly number[]
  /**
   * Called after each run with the tricks it used; numbers become report columns (median over
   * seeds), arrays are kept in results.jsonl for plots.
   */
  collect?(tricks: readonly Trick[], result: RunResult): RunExtras
}

export interface SizeConfig {
  readonly seeds: number
  /** Seeds for tuning arms with a `tune` grid, disjoint from the reported seeds (default 2). */
  readonly tuningSeeds?: number
  readonly maxSteps: number
  readonly evalEvery: number
  /**
   * Arms run at this size (the baseline always runs); default all. Lets the quick size keep to the
   * comparisons it can afford, while the full size runs every arm.
   */
  readonly arms?: readonly string[]
  /**
   * `'auto'`: a pilot on the tuning seeds (every arm at its chosen settings) measures the spread of
   * per-pair log step-ratios, and the bench runs the fewest paired seeds (at least 6, at most
   * `seeds`) at which a true `detect` speed-up would be detected with 80% power; the report says how
   * many and why. Without it, `seeds` pairs run.
   */
  readonly pairs?: 'auto'
  /** The speed-up `pairs: 'auto'` sizes the suite to detect (default 1.25, must be > 1). */
  readonly detect?: number
  /**
   * End each run at its first evaluation that meets the suite's target (AlgoPerf's rule), instead
   * of training to `maxSteps`: steps-to-target are the same, the compute is not spent past it.
   * Needs an `explicit` target (a target from the baseline is known only after the baseline ran);
   * columns read at the end of a run (final metrics, `collect`) are then values at the stop.
   */
  readonly stopAtTarget?: boolean
}

/** How the target is set: pinned, or from the baseline arm's median best value loosened by `margin`. */
export type TargetSpec =
  | { readonly kind: 'explicit'; readonly target: Target }
  | {
      readonly kind: 'fromBaseline'
      /** Relative loosening: max-metrics use best·(1 − margin), min-metrics best·(1 + margin). */
      readonly margin: number
      /** Metric and direction (default: the task's target metric and direction). */
      readonly metric?: string
      readonly direction?: 'min' | 'max'
    }
  | {
      /**
       * Fixed on the tuning seeds before any reported run: the level the tuned baseline reaches by
       * `atFraction` of its budget (its best value up to that step, median over tuning seeds), so the
       * baseline reaches it inside the budget and no reported seed sets its own bar.
       */
      readonly kind: 'fromTuning'
      /** Fraction of `maxSteps` (0 < f ≤ 1), e.g. 0.65. */
      readonly atFraction: number
      readonly metric?: string
      readonly direction?: 'min' | 'max'
    }

/** A plot a suite adds to its report, as a Vega-Lite spec (rendered to SVG). */
export interface SuitePlot {
  readonly name: string
  readonly title: string
  readonly spec: Record<string, unknown>
}

/** An ablation: a task, named arms, a baseline arm, sizes, and how the target is set. */
export interface BenchSuite {
  readonly name: string
  readonly description: string
  task(size: BenchSize): TaskDefinition
  readonly arms: readonly ArmSpec[]
  /** Name of the arm every other arm is compared against. */
  readonly baseline: string
  readonly sizes: Readonly<Record<BenchSize, SizeConfig>>
  readonly target: TargetSpec
  /**
   * How a run's crossing of the target is read: `'raw'` (default) the first evaluation that meets it;
   * `'median3'` the first at which the running median of the last 3 evaluations meets it, for noisy
   * metrics (one lucky evaluation does not count). With `'median3'` the raw crossing is reported too.
   */
  readonly crossing?: 'raw' | 'median3'
  /**
   * How tuning ranks grid points: `'steps'` (default) the lowest median steps-to-target on the
   * tuning seeds; `'final'` the best median final value of the target metric at the end of the
   * budget (ties: the steps rule). Budget-matched suites compare final values, so their arms are
   * best tuned on the same endpoint.
   */
  readonly tuneBy?: 'steps' | 'final'
  /** A second cost unit reported beside steps (e.g. `{ name: 'rollouts', perStep: 128 }`). */
  readonly cost?: { readonly name: string; readonly perStep: number }
  /** Extra plots from the completed runs. */
  plots?(records: readonly RunRecordLike[]): SuitePlot[]
  /** Markdown appended to the suite's section of the report (settings, caveats). */
  readonly notes?: string
  /**
   * Left out of a plain `pnpm bench` (whose quick size must fit a short budget); it runs when named
   * with `--suite`. For suites whose quick size still takes many minutes.
   */
  readonly optIn?: boolean
}

/** The parts of a results.jsonl record a suite's plots may read. */
export interface RunRecordLike {
  readonly suite: string
  readonly arm: string
  readonly seed: number
  readonly result: { readonly history: readonly EvalRecord[]; readonly steps: number; readonly trainMs: number }
  readonly extras: RunExtras
}

/** Identity helper that keeps a suite's literal types. */
export function defineSuite(suite: BenchSuite): BenchSuite {
  return suite
}

/** Hyperparameters of an arm run without tuning. */
export const NO_HYPERPARAMS: Hyperparams = Object.freeze({})

/** The arm's optimizer override at the given hyperparameters, if it has one. */
export function armOptimizer(arm: ArmSpec, hp: Hyperparams): OptimizerSpec | undefined {
  return typeof arm.optimizer === 'function' ? arm.optimizer(hp) : arm.optimizer
}
