import { bestMetric, type EvalRecord } from '@converge/core'
import { median } from './stats.js'

/**
 * How a run's crossing of the target is read (a suite's `crossing`):
 *   raw      the first evaluation that meets the target;
 *   median3  the first evaluation at which the median of the last 3 evaluations meets it, so a
 *            single lucky evaluation of a noisy metric does not count. The first two evaluations
 *            have fewer predecessors: there the worse of the available values counts (never an
 *            earlier crossing than the data supports).
 * The smoothing is causal (past evaluations only): a crossing never depends on what came after it.
 */
export type CrossingRule = 'raw' | 'median3'

/** The history with `metric` replaced by its running median of 3 (other metrics unchanged). */
export function smoothedHistory(history: readonly EvalRecord[], metric: string, direction: 'min' | 'max'): EvalRecord[] {
  const values: number[] = []
  return history.map((h) => {
    const v = h.metrics[metric]
    if (typeof v !== 'number') return h
    values.push(v)
    const window = values.slice(-3)
    const smoothed = window.length === 3 ? median(window) : direction === 'max' ? Math.min(...window) : Math.max(...window)
    return { ...h, metrics: { ...h.metrics, [metric]: smoothed } }
  })
}

/** The history a crossing is read from under `rule`. */
export function crossingHistory(history: readonly EvalRecord[], rule: CrossingRule, metric: string, direction: 'min' | 'max'): readonly EvalRecord[] {
  return rule === 'median3' ? smoothedHistory(history, metric, direction) : history
}

/**
 * The level a run has reached by `atStep` under `rule`: its best (smoothed) value over evaluations at
 * or before that step; NaN when none.
 */
export function levelAt(history: readonly EvalRecord[], rule: CrossingRule, metric: string, direction: 'min' | 'max', atStep: number): number {
  const h = crossingHistory(history, rule, metric, direction).filter((r) => r.step <= atStep)
  return bestMetric(h, metric, direction)
}

/**
 * Evaluation noise of a metric from a run's own series: the median absolute difference between
 * consecutive evaluations over the second half of the run (where the curve is flattest, so the
 * difference is mostly noise, an upper bound on it where the curve still moves). Tasks evaluate on a
 * fixed held-out set, deterministically, so two evaluation seeds on the same weights would agree:
 * the spread between consecutive evaluations is what moves a crossing.
 */
export function consecutiveEvaluationNoise(history: readonly EvalRecord[], metric: string): number {
  const values = history.map((h) => h.metrics[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  const tail = values.slice(Math.floor(values.length / 2))
  const diffs = tail.slice(1).map((v, i) => Math.abs(v - (tail[i] as number)))
  return diffs.length ? median(diffs) : Number.NaN
}

