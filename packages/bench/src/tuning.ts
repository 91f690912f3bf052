import { bestMetric, ConfigError, stepsToTarget, type Target } from '@converge/core'
import type { ArmSpec, BenchSuite, Hyperparams, TuneSpec } from '@converge/core/suite'
import type { RunRecord } from './records.js'
import { median } from './stats.js'
import { targetFromBaseline } from './target.js'
import { crossingHistory, levelAt } from './crossing.js'

/**
 * Tuning an arm (AlgoPerf's external-tuning rule): every point of the arm's grid runs on the
 * tuning seeds (1001, 1002, …: disjoint from the reported seeds 1..N); the point with the lowest
 * median steps-to-target wins and the reported seeds run at it.
 *
 * Censoring and ties: a tuning run that does not reach the target counts as +∞ steps, so a point
 * whose median run misses loses to any point whose median run reaches. Ties (including all points
 * missing) go to the point with more tuning runs reaching the target, then to the better median
 * best value of the target metric (closest to the target), then to the first point in grid order.
 *
 * A suite with `tuneBy: 'final'` ranks points by the median over tuning seeds of the target metric's
 * final value instead (a diverged run is the worst value), and breaks ties with the rule above.
 */

/** Default number of tuning seeds when a size config does not set `tuningSeeds`. */
export const DEFAULT_TUNING_SEEDS = 2

/** Every combination of the grid's values, in listed order (last key varies fastest); [{}] without a grid. */
export function gridPoints(tune: TuneSpec | undefined): Hyperparams[] {
  if (!tune) return [{}]
  let points: Record<string, number>[] = [{}]
  for (const [key, values] of Object.entries(tune)) points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })))
  return points
}

/** Checks an arm's grid: at least one key, each a non-empty list of distinct finite numbers. */
export function validateTune(suite: string, arm: ArmSpec): void {
  if (arm.tune === undefined) return
  const entries = Object.entries(arm.tune)
  if (entries.length === 0) throw new ConfigError(`suite "${suite}", arm "${arm.name}": tune is empty; give at least one hyperparameter with values, e.g. { lr: [1e-3, 3e-3] }`)
  for (const [key, values] of entries) {
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new ConfigError(`suite "${suite}", arm "${arm.name}": tune.${key} must be a non-empty list of finite numbers`)
    }
    if (new Set(values).size !== values.length) throw new ConfigError(`suite "${suite}", arm "${arm.name}": tune.${key} lists a value twice`)
  }
}

export interface TuningPoint {
  readonly hp: Hyperparams
  /** Steps-to-target per tuning seed (null: not reached). */
  readonly steps: readonly (number | null)[]
  readonly reached: number
  /** Median steps-to-target; null when the median tuning run did not reach the target. */
  readonly medianSteps: number | null
  /** Median over tuning seeds of the best value of the target metric. */
  readonly medianBest: number
  /** Median over tuning seeds of the target metric's value at the run's last evaluation (diverged: the worst value). */
  readonly medianFinal: number
}

export interface ArmTuning {
  readonly arm: string
  readonly grid: TuneSpec | null
  readonly points: readonly TuningPoint[]
  /** The hyperparameters the reported seeds ran at. */
  readonly chosen: Hyperparams
  readonly seeds: readonly number[]
  /** The point each tuning seed alone would have chosen (same rule), in seed order. */
  readonly perSeed: readonly { readonly seed: number; readonly chosen: Hyperparams }[]
  /** True when every tuning seed alone picks the same point as their median does. */
  readonly seedsAgree: boolean
  /** Hyperparameters whose chosen value is the smallest or largest of a grid of 3 or more values: widen the grid. */
  readonly atEdge: readonly { readonly key: string; readonly value: number; readonly side: 'lowest' | 'highest' }[]
  /** Cost of tuning this arm: runs, optimizer steps and training time summed over every tuning run. */
  readonly runs: number
  readonly steps: number
  readonly trainMs: number
}

const hpKey = (hp: Hyperparams) => JSON.stringify(Object.entries(hp).sort(([a], [b]) => a.localeCompare(b)))

/**
 * The target tuning runs are judged against: the suite's explicit target; for a target derived
 * from the baseline, the same recipe applied to the baseline's tuning runs at its best grid point
 * (highest median best value on the tuning seeds); for `fromTuning`, the level the baseline reaches
 * by `atFraction` of the budget (its best value up to that step under the suite's crossing rule,
 * median over tuning seeds) at the grid point where that level is best. No reported seed
 * influences tuning, and with `fromTuning` none sets the reported target either.
 */
export function tuningTarget(suite: BenchSuite, baselineTuning: readonly RunRecord[]): { target: Target; source: string } {
  const spec = suite.target
  if (spec.kind === 'explicit') return { target: spec.target, source: 'the suite target' }
  if (baselineTuning.length === 0) throw new RangeError(`suite "${suite.name}": no completed tuning runs of the baseline "${suite.baseline}" to derive the tuning target from`)
  const first = baselineTuning[0] as RunRecord
  const metric = spec.metric ?? first.result.taskTarget.metric
  const direction = spec.direction ?? first.result.taskTarget.direction
  const byPoint = groupBy(baselineTuning, (r) => hpKey(r.hp))
  const better = (a: number, b: number) => (direction === 'max' ? a > b : a < b)
  if (spec.kind === 'fromTuning') {
    const rule = suite.crossing ?? 'raw'
    const atStep = spec.atFraction * first.maxSteps
    let best: { value: number; seeds: number } | null = null
    for (const runs of byPoint.values()) {
      const value = median(runs.map((r) => (r.result.diverged ? Number.NaN : levelAt(r.result.history, rule, metric, direction, atStep))).filter(Number.isFinite))
      if (Number.isFinite(value) && (!best || better(value, best.value))) best = { value, seeds: runs.length }
    }
    if (!best) throw new RangeError(`suite "${suite.name}": the baseline's tuning runs have no finite "${metric}" by step ${atStep} to set the target from`)
    return {
      target: { metric, direction, value: best.value },
      source: `level the tuned baseline "${suite.baseline}" reaches by ${Math.round(spec.atFraction * 100)}% of its budget (step ${Math.round(atStep)}${rule === 'median3' ? ', running median of 3' : ''}), median over ${best.seeds} tuning seeds`,
    }
  }
  let best: { value: number; derived: ReturnType<typeof targetFromBaseline> } | null = null
  for (const runs of byPoint.values()) {
    const derived = targetFromBaseline(runs.map((r) => r.result.history), metric, direction, spec.margin)
    const value = derived.baselineMedianBest
    if (!best || better(value, best.value)) best = { value, derived }
  }
  const d = (best as NonNullable<typeof best>).derived
  return {
    target: { metric, direction, value: d.value },
    source: `baseline "${suite.baseline}" tuning runs, best grid point's median best ${d.baselineMedianBest.toPrecision(5)}, loosened by ${spec.margin * 100}%`,
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const it of items) {
    const k = key(it)
    const list = m.get(k) ?? []
    list.push(it)
    m.set(k, list)
  }
  return m
}

/** The metric at a run's last evaluation; `worst` for a diverged run or a missing value. */
function finalValue(run: RunRecord, metric: string, worst: number): number {
  const v = run.result.diverged ? Number.NaN : run.result.history.at(-1)?.metrics[metric]
  return v !== undefined && Number.isFinite(v) ? v : worst
}

/** Scores every grid point of an arm on its tuning runs and picks one (rule: see the file comment). */
export function chooseHyperparams(
  arm: ArmSpec,
  points: readonly Hyperparams[],
  records: readonly RunRecord[],
  target: Target,
  crossing: 'raw' | 'median3' = 'raw',
  tuneBy: 'steps' | 'final' = 'steps',
): ArmTuning {
  const mine = records.filter((r) => r.arm === arm.name && r.kind === 'tune')
  const scored = points.map((hp): TuningPoint => {
    const runs = mine.filter((r) => hpKey(r.hp) === hpKey(hp)).sort((a, b) => a.seed - b.seed)
    const steps = runs.map((r) => (r.result.diverged ? null : stepsToTarget(crossingHistory(r.result.history, crossing, target.metric, target.direction), target)))
    const med = median(steps.map((s) => s ?? Number.POSITIVE_INFINITY))
    const bests = runs.map((r) => (r.result.diverged ? Number.NaN : bestMetric(r.result.history, target.metric, target.direction)))
    const finiteBests = bests.filter(Number.isFinite)
    const worst = target.direction === 'max' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
    const finals = runs.map((r) => finalValue(r, target.metric, worst))
    return {
      hp,
      steps,
      reached: steps.filter((s) => s !== null).length,
      medianSteps: Number.isFinite(med) ? med : null,
      // a diverged run is the worst possible best value
      medianBest: finiteBests.length ? median(bests.map((b) => (Number.isFinite(b) ? b : worst))) : worst,
      medianFinal: finals.length ? median(finals) : worst,
    }
  })
  const betterValue = (a: number, b: number) => (target.direction === 'max' ? a > b : a < b)
  const better = (a: TuningPoint, b: TuningPoint): boolean => {
    if (tuneBy === 'final' && a.medianFinal !== b.medianFinal) return betterValue(a.medianFinal, b.medianFinal)
    const sa = a.medianSteps ?? Number.POSITIVE_INFINITY
    const sb = b.medianSteps ?? Number.POSITIVE_INFINITY
    if (sa !== sb) return sa < sb
    if (a.reached !== b.reached) return a.reached > b.reached
    if (a.medianBest !== b.medianBest) return target.direction === 'max' ? a.medianBest > b.medianBest : a.medianBest < b.medianBest
    return false
  }
  const pick = (points: readonly TuningPoint[]) => {
    let chosen = points[0] as TuningPoint
    for (const p of points.slice(1)) if (better(p, chosen)) chosen = p
    return chosen
  }
  const chosen = pick(scored)
  const seeds = [...new Set(mine.map((r) => r.seed))].sort((a, b) => a - b)
  // Each seed alone: the same rule on that seed's single run per point.
  const perSeed = seeds.map((seed) => {
    const single = scored.map((p): TuningPoint => {
      const run = mine.find((r) => r.seed === seed && hpKey(r.hp) === hpKey(p.hp))
      const steps = run && !run.result.diverged ? stepsToTarget(crossingHistory(run.result.history, crossing, target.metric, target.direction), target) : null
      const worst = target.direction === 'max' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
      const best = run && !run.result.diverged ? bestMetric(run.result.history, target.metric, target.direction) : worst
      const final = run ? finalValue(run, target.metric, worst) : worst
      return { hp: p.hp, steps: [steps], reached: steps === null ? 0 : 1, medianSteps: steps, medianBest: Number.isFinite(best) ? best : worst, medianFinal: final }
    })
    return { seed, chosen: pick(single).hp }
  })
  const atEdge = Object.entries(arm.tune ?? {}).flatMap(([key, values]): ArmTuning['atEdge'] => {
    if (values.length < 3) return []
    const value = chosen.hp[key] as number
    const sortedValues = [...values].sort((a, b) => a - b)
    if (value === sortedValues[0]) return [{ key, value, side: 'lowest' }]
    if (value === sortedValues[sortedValues.length - 1]) return [{ key, value, side: 'highest' }]
    return []
  })
  return {
    arm: arm.name,
    grid: arm.tune ?? null,
    points: scored,
    perSeed,
    seedsAgree: perSeed.every((p) => hpKey(p.chosen) === hpKey(chosen.hp)),
    atEdge,
    chosen: chosen.hp,
    seeds,
    runs: mine.length,
    steps: mine.reduce((s, r) => s + r.result.steps, 0),
    trainMs: mine.reduce((s, r) => s + r.result.trainMs, 0),
  }
}
