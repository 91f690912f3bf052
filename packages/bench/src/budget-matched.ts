import { ConfigError, type Target } from '@converge/core'
import type { ArmSpec } from '@converge/core/suite'
import { speedupEstimate, type PairBound, type SpeedupEstimate } from './paired-ratio.js'
import { minimumDetectable } from './power.js'
import type { RunRecord } from './records.js'
import { verdictOf, type Verdict } from './verdict.js'

/**
 * Budget-matched speed-ups (how modded-nanogpt and AlgoPerf compare schedule-dependent methods):
 * the baseline runs one full budget T_b; the arm runs several budgets T₁ < … < T_k, each a complete
 * run with its own schedule. Per seed pair, T* is the smallest budget at which the arm's final metric
 * matches the baseline's final metric at T_b, interpolated linearly in log budget between the last
 * budget that falls short and the first that matches; the speed-up is T_b / T*.
 *
 * Bounds, never made-up values: if the arm's smallest budget already matches, T* ≤ T₁ and the pair
 * says "≥ T_b / T₁"; if no budget matches, T* > T_k and it says "< T_b / T_k". These go to the same
 * intervals as steps-to-target (signed-rank when every pair is a point, the sign test otherwise).
 */

/** The final value of `metric` in a run (its last evaluation); NaN when none or diverged. */
export function finalMetric(r: RunRecord, metric: string): number {
  if (r.result.diverged) return Number.NaN
  for (let i = r.result.history.length - 1; i >= 0; i--) {
    const v = r.result.history[i]?.metrics[metric]
    if (typeof v === 'number' && Number.isFinite(v)) return v
  }
  return Number.NaN
}

/**
 * One pair's ratio bound from the baseline's final value at `baselineBudget` and the arm's final values
 * at its budgets (ascending). NaN values (diverged) count as not matching.
 */
export function matchedRatio(baselineFinal: number, baselineBudget: number, arm: readonly { budget: number; final: number }[], direction: 'min' | 'max'): PairBound | null {
  if (!Number.isFinite(baselineFinal) || arm.length === 0) return null
  const sorted = [...arm].sort((a, b) => a.budget - b.budget)
  const meets = (v: number) => Number.isFinite(v) && (direction === 'max' ? v >= baselineFinal : v <= baselineFinal)
  const i = sorted.findIndex((p) => meets(p.final))
  if (i === -1) return { low: 0, high: baselineBudget / (sorted[sorted.length - 1] as { budget: number }).budget }
  const hit = sorted[i] as { budget: number; final: number }
  if (i === 0) return { low: baselineBudget / hit.budget, high: Number.POSITIVE_INFINITY }
  const prev = sorted[i - 1] as { budget: number; final: number }
  // prev falls short (possibly NaN: then no interpolation, T* is bounded by the two budgets)
  if (!Number.isFinite(prev.final) || hit.final === prev.final) return { low: baselineBudget / hit.budget, high: baselineBudget / prev.budget }
  const t = (baselineFinal - prev.final) / (hit.final - prev.final)
  // Matched exactly at a budget: that budget, not a rounding error away from it.
  if (t >= 1) return { low: baselineBudget / hit.budget, high: baselineBudget / hit.budget }
  const tStar = Math.exp(Math.log(prev.budget) + t * (Math.log(hit.budget) - Math.log(prev.budget)))
  const r = baselineBudget / tStar
  return { low: r, high: r }
}

export interface BudgetMatched {
  readonly arm: string
  /** Budgets the arm ran (ascending; the last is the size's maxSteps). */
  readonly budgets: readonly number[]
  readonly baselineBudget: number
  readonly metric: string
  /** Per reported seed: the baseline's final value, the arm's final value at each budget, and the pair's ratio bound. */
  readonly perSeed: readonly { readonly seed: number; readonly baselineFinal: number; readonly armFinals: readonly number[]; readonly ratio: PairBound | null }[]
  readonly speedup: SpeedupEstimate
  readonly verdict: Verdict
}

/** Budget-matched speed-up of one arm from the baseline's full-budget runs and the arm's runs at every budget. */
export function budgetMatched(arm: string, baseline: readonly RunRecord[], armRuns: readonly RunRecord[], target: Pick<Target, 'metric' | 'direction'>): BudgetMatched {
  const baselineBudget = (baseline[0] as RunRecord).maxSteps
  const budgets = [...new Set(armRuns.map((r) => r.maxSteps))].sort((a, b) => a - b)
  const seeds = [...new Set(baseline.map((r) => r.seed))].sort((a, b) => a - b)
  const perSeed = seeds.map((seed) => {
    const b = baseline.find((r) => r.seed === seed) as RunRecord
    const baselineFinal = finalMetric(b, target.metric)
    const armFinals = budgets.map((t) => {
      const r = armRuns.find((x) => x.seed === seed && x.maxSteps === t)
      return r ? finalMetric(r, target.metric) : Number.NaN
    })
    const present = budgets.map((budget, i) => ({ budget, final: armFinals[i] as number, ran: armRuns.some((x) => x.seed === seed && x.maxSteps === budget) })).filter((p) => p.ran)
    return { seed, baselineFinal, armFinals, ratio: matchedRatio(baselineFinal, baselineBudget, present, target.direction) }
  })
  const bounds = perSeed.map((p) => p.ratio)
  const speedup = speedupEstimate(bounds)
  return { arm, budgets, baselineBudget, metric: target.metric, perSeed, speedup, verdict: verdictOf(speedup, minimumDetectable(bounds, speedup.method)) }
}

/** The budgets an arm runs at a size: each fraction of `maxSteps`, rounded to whole evaluations (at least one). */
export function budgetsOf(fractions: readonly number[], maxSteps: number, evalEvery: number): number[] {
  const shorter = fractions.map((f) => Math.max(evalEvery, Math.round((f * maxSteps) / evalEvery) * evalEvery)).filter((t) => t < maxSteps)
  return [...new Set(shorter)].sort((a, b) => a - b)
}


/** Checks an arm's `budgetFractions`: a non-empty list of distinct numbers in (0, 1). */
export function validateBudgets(suite: string, arm: ArmSpec): void {
  const f = arm.budgetFractions
  if (f === undefined) return
  if (!Array.isArray(f) || f.length === 0 || f.some((x) => typeof x !== 'number' || !(x > 0 && x < 1)) || new Set(f).size !== f.length) {
    throw new ConfigError(`suite "${suite}", arm "${arm.name}": budgetFractions must be a non-empty list of distinct fractions of maxSteps in (0, 1), e.g. [0.5, 0.75] (got ${JSON.stringify(f)})`)
  }
}
