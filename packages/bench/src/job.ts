import type { BackendName } from '@converge/core'
import type { BenchSize, Hyperparams } from '@converge/core/suite'

/**
 * What a job is for: `run` is a reported run (a paired seed of an arm at its chosen
 * hyperparameters); `tune` is a run on a tuning seed at one point of the arm's grid; `budget` is a
 * reported seed of an arm at one of its shorter budgets (`budgetFractions`), for budget-matched
 * speed-ups.
 */
export type JobKind = 'run' | 'tune' | 'budget'

/**
 * One training run, fully described by plain data so that any executor (this process, a worker
 * process, another machine) can run it from the bench config alone: look up `suite` and `arm` by
 * name, build the arm at `hp`, train `seed`. Jobs are planned by the runner, executed by an
 * Executor, and recorded by the runner.
 */
export interface RunJob {
  readonly kind: JobKind
  readonly suite: string
  readonly arm: string
  readonly seed: number
  /** Hyperparameters from the arm's `tune` grid ({} without one). */
  readonly hp: Hyperparams
  readonly size: BenchSize
  readonly maxSteps: number
  readonly evalEvery: number
  readonly backend: BackendName
  readonly tunedWasm: boolean
  /** End the run at the suite's explicit target instead of at `maxSteps`. */
  readonly stopAtTarget?: boolean
  /** End the run after this many steps, `maxSteps` staying its budget (the bench's probe and warm-up runs). */
  readonly stopAfter?: number
  /** Hash of the settings (task, tricks and options at `hp`, optimizer, budget, backend). */
  readonly configHash: string
  /** Hash of the source code the run executes (see source-hash.ts). */
  readonly sourceHash: string
  /**
   * Checkpoint the run in `dir` and, when `dir` already holds a checkpoint of it (an interrupted
   * earlier attempt), continue from there instead of starting over; the result is the same bit for
   * bit. `dir` is removed once the run has its record. Put the configHash in the path: a checkpoint
   * from other settings is refused, not reused.
   */
  readonly checkpoint?: { readonly dir: string; readonly everySteps?: number }
  /** Write the run's per-step metrics file here (train()'s `metricsFile`); not part of its identity. */
  readonly metricsFile?: string
}

/** The identity of a job's result in results.jsonl: equal keys mean the record can be reused. */
export function jobKey(j: Pick<RunJob, 'kind' | 'arm' | 'seed' | 'configHash' | 'sourceHash'>): string {
  return `${j.kind}:${j.arm}:${j.configHash}:${j.sourceHash}:${j.seed}`
}

/** The same identity without the source hash: a match here but not on `jobKey` is a stale result. */
export function settingsKey(j: Pick<RunJob, 'kind' | 'arm' | 'seed' | 'configHash'>): string {
  return `${j.kind}:${j.arm}:${j.configHash}:${j.seed}`
}

/** Tuning seeds start here, so they never overlap the reported seeds 1..N. */
export const TUNING_SEED_BASE = 1000

export const fmtHyperparams = (hp: Hyperparams): string =>
  Object.keys(hp).length ? Object.entries(hp).map(([k, v]) => `${k}=${v}`).join(', ') : '(fixed)'
