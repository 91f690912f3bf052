import { bestMetric, stepsToTarget, type Target } from '@converge/core'
import { fmtNumber, fmtSpeedup, fmtTuning } from '../format.js'
import { fmtHyperparams, type RunJob } from '../job.js'
import type { SpeedupEstimate } from '../paired-ratio.js'
import type { RunRecord } from '../records.js'
import type { ArmSummary, SuiteSummary } from '../summary.js'

/**
 * Everything a suite's HTML page shows, as plain rows: built once from what the bench already has
 * (the summary, the records of reported and tuning runs, the failures), then turned into Vega-Lite
 * specs (specs.ts) and text tables (tables.ts). Infinite bounds are clamped here to the ends of the
 * forest plot's axis, with a flag saying which end is open, so no chart sees a non-finite number.
 */

/** One evaluation of one run: the target metric at a step. */
export interface CurvePoint {
  readonly arm: string
  readonly seed: number
  readonly step: number
  readonly value: number
}

/** Where a run ended relative to the target: its first crossing, or its last evaluation when it never reached (censored) or diverged. */
export interface RunOutcome {
  readonly arm: string
  readonly seed: number
  readonly kind: 'crossing' | 'censored' | 'diverged'
  readonly step: number
  /** The metric at that step; null when the run has no finite value there (diverged). */
  readonly value: number | null
  readonly best: number | null
  readonly final: number | null
}

/** One side of a seed pair in the steps-to-target chart: `compared` is the arm the baseline is paired with. */
export interface PairPoint {
  readonly compared: string
  readonly arm: string
  readonly seed: number
  /** Steps-to-target, or the budget for a run that did not reach (censored). */
  readonly steps: number
  readonly censored: boolean
  readonly budget: number
}

/** A speed-up drawn on a log axis: the estimate (a point, or a bound when censored runs leave it open) and the interval. */
export interface SpeedupMark {
  readonly x: number
  readonly kind: 'median' | 'upper bound (censored)' | 'lower bound (censored)'
}

export interface ForestRow {
  readonly arm: string
  /** Formatted as in report.md: estimate, interval, level, or why there is no ratio. */
  readonly text: string
  /** Drawn: at least the minimum of informative pairs. */
  readonly drawn: boolean
  readonly estimate: SpeedupMark | null
  readonly low: number
  readonly high: number
  readonly openLow: boolean
  readonly openHigh: boolean
  readonly pFaster: number | null
  readonly reached: number
  readonly runs: number
  readonly verdict: string | null
  readonly minDetectable: number | null
}

export interface LevelRow {
  readonly arm: string
  readonly gapScale: number
  readonly target: number
  readonly text: string
  readonly reached: number
  readonly runs: number
  /** Null for the baseline and for arms below the minimum of informative pairs. */
  readonly estimate: SpeedupMark | null
  readonly low: number | null
  readonly high: number | null
}

/** One tuning run: the best value of the target metric it reached, at one grid point and tuning seed. */
export interface TuningRun {
  readonly arm: string
  readonly hp: string
  /** The grid's value when it has a single key (then the x axis is that number). */
  readonly x: number | null
  readonly seed: number
  readonly best: number | null
  readonly steps: number | null
  readonly chosen: boolean
}

export interface TuningChart {
  readonly arm: string
  /** The grid's key when there is one, else null (points are labelled by their settings). */
  readonly key: string | null
  readonly logX: boolean
  readonly runs: readonly TuningRun[]
  readonly points: readonly { readonly hp: string; readonly x: number | null; readonly medianSteps: number | null; readonly reached: number; readonly runs: number; readonly medianBest: number; readonly chosen: boolean }[]
  readonly line: string
}

export interface ArmDesign {
  readonly arm: string
  readonly description: string
  readonly tricks: string
  readonly optimizer: string
  readonly hp: string
}

export interface SuitePageModel {
  readonly summary: SuiteSummary
  /** Arm names in suite order: the domain of every arm scale. */
  readonly arms: readonly string[]
  readonly metric: string
  readonly direction: 'min' | 'max'
  readonly target: Target
  readonly task: { readonly name: string; readonly options: string } | null
  readonly design: readonly ArmDesign[]
  readonly curves: readonly CurvePoint[]
  readonly outcomes: readonly RunOutcome[]
  readonly pairs: readonly PairPoint[]
  readonly forest: readonly ForestRow[]
  /** The forest plot's log axis: [floor, cap]; open interval ends are drawn at these. */
  readonly forestDomain: readonly [number, number]
  readonly levels: readonly LevelRow[]
  readonly tuning: readonly TuningChart[]
  readonly tuningTarget: Target | null
  readonly failures: readonly { readonly arm: string; readonly seed: number; readonly message: string }[]
  readonly provenance: string | null
}

/**
 * The verdict word and minimum detectable speed-up of an arm (null for the baseline, and for a
 * detectable speed-up the row has no spread for). Read in this one place for every chart and table.
 */
export function verdictOf(a: ArmSummary): { verdict: string | null; minDetectable: number | null } {
  const mds = a.verdict?.minimumDetectable.speedup ?? null
  return { verdict: a.verdict?.word ?? null, minDetectable: mds !== null && Number.isFinite(mds) && mds > 0 ? mds : null }
}

/** Where a speed-up estimate is drawn: a point, or a bound pointing the way it is open; null when it is undetermined. */
export function speedupMark(e: SpeedupEstimate): SpeedupMark | null {
  if (e.estimateLow === e.estimateHigh) return Number.isFinite(e.estimateLow) && e.estimateLow > 0 ? { x: e.estimateLow, kind: 'median' } : null
  if (e.estimateLow === 0 && Number.isFinite(e.estimateHigh) && e.estimateHigh > 0) return { x: e.estimateHigh, kind: 'upper bound (censored)' }
  if (!Number.isFinite(e.estimateHigh) && e.estimateLow > 0 && Number.isFinite(e.estimateLow)) return { x: e.estimateLow, kind: 'lower bound (censored)' }
  return null
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v)

function metricAt(r: RunRecord, metric: string, step: number): number | null {
  const v = r.result.history.find((h) => h.step === step)?.metrics[metric]
  return finite(v) ? v : null
}

function lastFinite(r: RunRecord, metric: string): { step: number; value: number | null } {
  for (let i = r.result.history.length - 1; i >= 0; i--) {
    const h = r.result.history[i]
    const v = h?.metrics[metric]
    if (h && finite(v)) return { step: h.step, value: v }
  }
  return { step: r.result.history.at(-1)?.step ?? 0, value: null }
}

const options = (o: Readonly<Record<string, unknown>>) => {
  const entries = Object.entries(o)
  return entries.length ? entries.map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ') : ''
}

/** Builds a suite page's rows from its summary, its reported and tuning records, and its failed runs. */
export function suitePageModel(
  summary: SuiteSummary,
  records: readonly RunRecord[],
  tuningRecords: readonly RunRecord[] = [],
  failures: readonly { job: RunJob; error: Error }[] = [],
): SuitePageModel {
  const { target, maxSteps } = summary
  const { metric, direction } = target
  const arms = summary.arms.map((a) => a.arm)
  const runs = records.filter((r) => r.kind === 'run' && arms.includes(r.arm)).sort((a, b) => arms.indexOf(a.arm) - arms.indexOf(b.arm) || a.seed - b.seed)

  const curves: CurvePoint[] = runs.flatMap((r) =>
    r.result.history.flatMap((h) => {
      const v = h.metrics[metric]
      return finite(v) ? [{ arm: r.arm, seed: r.seed, step: h.step, value: v }] : []
    }),
  )

  const outcomes: RunOutcome[] = runs.map((r) => {
    const b = bestMetric(r.result.history, metric, direction)
    const last = lastFinite(r, metric)
    const common = { arm: r.arm, seed: r.seed, best: finite(b) ? b : null, final: last.value }
    if (r.result.diverged) return { ...common, kind: 'diverged', step: r.result.diverged.step, value: last.value }
    const s = stepsToTarget(r.result.history, target)
    if (s === null) return { ...common, kind: 'censored', step: last.step, value: last.value }
    return { ...common, kind: 'crossing', step: s, value: metricAt(r, metric, s) }
  })

  const stepsOf = (a: ArmSummary, seed: number): number | null | undefined => {
    const i = a.seeds.indexOf(seed)
    return i < 0 ? undefined : a.stepsBySeed[i]
  }
  const baseline = summary.arms.find((a) => a.arm === summary.baseline)
  const pairs: PairPoint[] = []
  for (const a of summary.arms.filter((x) => x.arm !== summary.baseline)) {
    for (const seed of a.seeds) {
      const b = baseline ? stepsOf(baseline, seed) : undefined
      const m = stepsOf(a, seed)
      if (b === undefined || m === undefined) continue
      for (const [arm, s] of [[summary.baseline, b], [a.arm, m]] as const) {
        pairs.push({ compared: a.arm, arm, seed, steps: s ?? maxSteps, censored: s === null, budget: maxSteps })
      }
    }
  }

  // The forest plot's axis spans every finite estimate and interval end (and 1), with room for open ends.
  const ends = summary.arms.flatMap((a) => (a.speedup?.enough ? [a.speedup.estimateLow, a.speedup.estimateHigh, a.speedup.low, a.speedup.high, verdictOf(a).minDetectable ?? 1] : []))
  const positive = ends.filter((v) => Number.isFinite(v) && v > 0)
  const floor = (positive.length ? Math.min(...positive, 1) : 1) / 2
  const cap = (positive.length ? Math.max(...positive, 1) : 1) * 2
  const clamp = (v: number) => (v <= 0 ? floor : Number.isFinite(v) ? v : cap)
  const forest: ForestRow[] = summary.arms
    .filter((a) => a.speedup)
    .map((a) => {
      const e = a.speedup as SpeedupEstimate
      const mark = e.enough ? speedupMark(e) : null
      return {
        arm: a.arm,
        text: fmtSpeedup(e),
        drawn: e.enough,
        estimate: mark ? { ...mark, x: clamp(mark.x) } : null,
        low: clamp(e.low),
        high: clamp(e.high),
        openLow: e.low <= 0,
        openHigh: !Number.isFinite(e.high),
        pFaster: a.pFaster,
        reached: a.reached,
        runs: a.runs,
        ...verdictOf(a),
      }
    })

  const levels: LevelRow[] = summary.targetLevels.flatMap((l) =>
    l.arms.map((a) => {
      const drawn = a.speedup?.enough ?? false
      return {
        arm: a.arm,
        gapScale: l.gapScale,
        target: l.target.value,
        text: a.speedup ? fmtSpeedup(a.speedup) : a.medianSteps === null ? `not reached in ${maxSteps}` : `${fmtNumber(a.medianSteps)} steps`,
        reached: a.reached,
        runs: a.runs,
        estimate: drawn && a.speedup ? speedupMark(a.speedup) : null,
        low: drawn && a.speedup && a.speedup.low > 0 && Number.isFinite(a.speedup.low) ? a.speedup.low : null,
        high: drawn && a.speedup && Number.isFinite(a.speedup.high) && a.speedup.high > 0 ? a.speedup.high : null,
      }
    }),
  )

  const tuningTarget = summary.tuningTarget?.target ?? null
  const tuning: TuningChart[] = summary.tuning.map((t) => {
    const keys = t.grid ? Object.keys(t.grid) : []
    const key = keys.length === 1 ? (keys[0] as string) : null
    const values = key ? (t.grid?.[key] ?? []) : []
    const logX = key !== null && values.length > 1 && values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) >= 10
    const chosen = fmtHyperparams(t.chosen)
    const mine = tuningRecords.filter((r) => r.kind === 'tune' && r.arm === t.arm).sort((a, b) => a.seed - b.seed)
    const judged = tuningTarget ?? target
    return {
      arm: t.arm,
      key,
      logX,
      line: fmtTuning(t),
      runs: mine.map((r) => {
        const b = r.result.diverged ? Number.NaN : bestMetric(r.result.history, metric, direction)
        return {
          arm: t.arm,
          hp: fmtHyperparams(r.hp),
          x: key ? (r.hp[key] ?? null) : null,
          seed: r.seed,
          best: finite(b) ? b : null,
          steps: r.result.diverged ? null : stepsToTarget(r.result.history, judged),
          chosen: fmtHyperparams(r.hp) === chosen,
        }
      }),
      points: t.points.map((p) => ({
        hp: fmtHyperparams(p.hp),
        x: key ? (p.hp[key] ?? null) : null,
        medianSteps: p.medianSteps,
        reached: p.reached,
        runs: p.steps.length,
        medianBest: p.medianBest,
        chosen: fmtHyperparams(p.hp) === chosen,
      })),
    }
  })

  const first = runs[0]
  const design: ArmDesign[] = summary.arms.map((a) => {
    const r = runs.find((x) => x.arm === a.arm)
    return {
      arm: a.arm,
      description: a.description,
      tricks: r && r.tricks.length ? r.tricks.map((t) => (Object.keys(t.options).length ? `${t.name} (${options(t.options)})` : t.name)).join(', ') : 'none',
      optimizer: r?.optimizer ? options(r.optimizer) : "the task's",
      hp: summary.tuning.some((t) => t.arm === a.arm) ? `${fmtHyperparams(a.hp)} (tuned)` : fmtHyperparams(a.hp),
    }
  })

  return {
    summary,
    arms,
    metric,
    direction,
    target,
    task: first ? { name: first.task.name, options: options(first.task.options) } : null,
    design,
    curves,
    outcomes,
    pairs,
    forest,
    forestDomain: [floor, cap],
    levels,
    tuning,
    tuningTarget,
    failures: failures.map((f) => ({ arm: f.job.arm, seed: f.job.seed, message: f.error.message.split('\n')[0] ?? '' })),
    provenance: first
      ? `Git revision ${first.provenance.gitRevision ?? 'unknown'}; ${Object.entries(first.provenance.packages).map(([k, v]) => `${k} ${v}`).join(', ')}; Node ${first.provenance.node}.`
      : null,
  }
}
