import type { RunRecord } from './records.js'
import { speedupEstimate, type SpeedupEstimate } from './paired-ratio.js'

/** One arm's final value of a metric against the baseline's, seed by seed, at the full budget. */
export interface PairedFinal {
  readonly arm: string
  readonly metric: string
  /** Seeds where both the arm and the baseline have a finite final value, ascending. */
  readonly seeds: readonly number[]
  /** Per seed: how many times better the arm ends (baseline / arm for a 'min' metric, arm / baseline for 'max'). */
  readonly ratios: readonly number[]
  /** The ratio's estimate and interval (signed-rank on log ratios when every pair is finite and positive). */
  readonly estimate: SpeedupEstimate
}

const finalValue = (r: RunRecord, metric: string): number | null => {
  const v = r.result.diverged ? undefined : r.result.history.at(-1)?.metrics[metric]
  return v !== undefined && Number.isFinite(v) ? v : null
}

/**
 * The paired comparison of final values at the full budget (a fixed-budget endpoint beside
 * steps-to-target): for each arm, the per-seed ratio of the baseline's final `metric` to the arm's
 * (inverted for 'max' metrics, so > 1 always means the arm ends better), with the same interval the
 * bench gives speed-ups. Only reported runs at the suite's full budget count; a seed where either
 * run diverged or lacks the metric is left out of that arm's pairs.
 */
export function pairedFinal(records: readonly RunRecord[], baseline: string, metric: string, direction: 'min' | 'max'): PairedFinal[] {
  const runs = records.filter((r) => r.kind === 'run')
  if (runs.length === 0) return []
  const budget = Math.max(...runs.map((r) => r.maxSteps))
  const full = runs.filter((r) => r.maxSteps === budget)
  const base = new Map(full.filter((r) => r.arm === baseline).map((r) => [r.seed, finalValue(r, metric)] as const))
  const arms = [...new Set(full.map((r) => r.arm))].filter((a) => a !== baseline)
  return arms.map((arm) => {
    const pairs = full
      .filter((r) => r.arm === arm)
      .map((r) => ({ seed: r.seed, a: finalValue(r, metric), b: base.get(r.seed) ?? null }))
      .filter((p): p is { seed: number; a: number; b: number } => p.a !== null && p.b !== null && p.a > 0 && p.b > 0)
      .sort((x, y) => x.seed - y.seed)
    const ratios = pairs.map((p) => (direction === 'min' ? p.b / p.a : p.a / p.b))
    return { arm, metric, seeds: pairs.map((p) => p.seed), ratios, estimate: speedupEstimate(ratios.map((r) => ({ low: r, high: r }))) }
  })
}
