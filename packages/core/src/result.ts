import type { BackendInfo } from './backends/use-backend.js'
import type { Metrics, Target } from './task.js'

/** One evaluation on the held-out set. */
export interface EvalRecord {
  /** Optimizer steps taken before this evaluation. */
  readonly step: number
  readonly metrics: Metrics
  /** Training wall time (evaluation excluded) up to this point, in ms. */
  readonly trainMs: number
}

/** A trick as it ran: its name and options, in applied order. */
export interface AppliedTrick {
  readonly name: string
  readonly options: Readonly<Record<string, unknown>>
}

export interface TraceEvent {
  /** `trick/<name>/<hook>` */
  readonly label: string
  readonly trick: string
  readonly hook: string
  readonly step: number
}

/** A phase as it ran: optimizer steps `startStep + 1 … endStep` belong to it. */
export interface PhaseRecord {
  /** `main`, or the setup phase's name. */
  readonly name: string
  /** Steps taken before the phase began. */
  readonly startStep: number
  /** Steps taken when it ended. */
  readonly endStep: number
  /** Cost of one of its steps relative to a main-phase step. */
  readonly cost: number
}

export interface RunResult {
  readonly task: { readonly name: string; readonly options: Readonly<Record<string, unknown>> }
  readonly seed: number
  readonly backend: BackendInfo
  readonly tricks: readonly AppliedTrick[]
  readonly target: Target
  /** First evaluated step at which the target was met; null when it never was (censored). */
  readonly stepsToTarget: number | null
  readonly reached: boolean
  /** Optimizer steps taken, setup phases included. */
  readonly steps: number
  readonly maxSteps: number
  readonly evalEvery: number
  readonly history: readonly EvalRecord[]
  /** Total loss of each step (index i = step i+1); setup-phase steps hold their phase loss. */
  readonly losses: readonly number[]
  /**
   * Every loss term by name, one value per step (index i = step i+1; NaN where the term was absent
   * that step). Reported-only diagnostics are here too: their names are in `reportedTerms`.
   */
  readonly lossTerms: Readonly<Record<string, readonly number[]>>
  readonly reportedTerms: readonly string[]
  /** Setup phases in the order they ran, then `main`. */
  readonly phases: readonly PhaseRecord[]
  /** Training wall time in ms, evaluation excluded. */
  readonly trainMs: number
  readonly evalMs: number
  /** Time this process spent writing checkpoints, in ms (in neither trainMs nor evalMs); set with `checkpoint`. */
  readonly checkpointMs?: number
  /**
   * Why the run ended: `'budget'` (it used maxSteps), `'target reached'` (stopAtTarget),
   * `'early stopping'`, or the reason a trick or the user gave to `stop()`.
   */
  readonly stopReason: string
  readonly trace?: readonly TraceEvent[]
  /** Set when the run continued from a checkpoint (`resume`): which one, and any newer ones it had to skip as damaged. */
  readonly resumedFrom?: ResumeInfo
}

/** The checkpoint a run resumed from. */
export interface ResumeInfo {
  readonly step: number
  readonly path: string
  /** Newer checkpoints that failed verification, with why (the run fell back past them). */
  readonly skipped: readonly string[]
}

/**
 * Steps-to-target over an evaluation history: the first evaluated step whose metric meets the
 * target, or null (censored) when none does. Works for any target after the fact, so the bench
 * can derive its target from the baseline arm once all runs are done.
 */
export function stepsToTarget(history: readonly EvalRecord[], target: Target): number | null {
  for (const record of history) {
    const value = record.metrics[target.metric]
    if (value === undefined) {
      throw new RangeError(
        `target metric "${target.metric}" is not among the evaluated metrics (${Object.keys(record.metrics).join(', ')})`,
      )
    }
    if (target.direction === 'max' ? value >= target.value : value <= target.value) return record.step
  }
  return null
}

/** The best value of `metric` over a history (max or min by direction); NaN for an empty history. */
export function bestMetric(history: readonly EvalRecord[], metric: string, direction: 'min' | 'max'): number {
  let best = Number.NaN
  for (const r of history) {
    const v = r.metrics[metric]
    if (typeof v !== 'number' || Number.isNaN(v)) continue
    if (Number.isNaN(best) || (direction === 'max' ? v > best : v < best)) best = v
  }
  return best
}

/**
 * Steps up to `step` weighted by each phase's relative cost: a warm-up step over 2 of 6 blocks
 * costs less than a full step. Equals `step` when every phase has cost 1.
 */
export function costWeightedSteps(phases: readonly PhaseRecord[], step: number): number {
  let total = 0
  for (const p of phases) total += p.cost * Math.max(0, Math.min(step, p.endStep) - p.startStep)
  return total
}
