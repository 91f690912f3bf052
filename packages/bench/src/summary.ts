import { bestMetric, stepsToTarget, type Target } from '@converge/core'
import type { RunRecord } from './records.js'
import { median, probabilityFaster } from './stats.js'
import { pairBounds, speedupEstimate, type SpeedupEstimate } from './paired-ratio.js'
import type { BenchSuite, Hyperparams } from '@converge/core/suite'
import { targetFromBaseline } from './target.js'
import type { ArmTuning } from './tuning.js'
import { minimumDetectable } from './power.js'
import { verdictOf, type Verdict } from './verdict.js'
import type { PairsChoice } from './pairs-auto.js'
import { budgetMatched, type BudgetMatched } from './budget-matched.js'
import { consecutiveEvaluationNoise, crossingHistory, type CrossingRule } from './crossing.js'

/** Steps-to-target of every arm at one target level (report: sensitivity to the target). */
export interface TargetLevel {
  /** Distance of this target from the baseline's median best, as a multiple of the suite target's. */
  readonly gapScale: number
  readonly target: Target
  readonly arms: readonly {
    readonly arm: string
    readonly reached: number
    readonly runs: number
    readonly medianSteps: number | null
    readonly speedup: SpeedupEstimate | null
    /** Verdict word and minimum detectable speed-up at this target; null for the baseline. */
    readonly verdict: Verdict | null
  }[]
}

/** Target levels reported beside the suite's: twice as loose, the suite's, half and a quarter of its distance from the baseline's best. */
export const GAP_SCALES = [2, 1, 0.5, 0.25] as const

export interface ArmSummary {
  readonly arm: string
  readonly description: string
  readonly runs: number
  readonly reached: number
  readonly diverged: number
  /** Per seed (ascending seed order): steps-to-target, null when not reached. */
  readonly stepsBySeed: readonly (number | null)[]
  readonly seeds: readonly number[]
  /** Median steps-to-target; null when the median run did not reach it. */
  readonly medianSteps: number | null
  /** Hyperparameters the reported runs used ({} without a grid). */
  readonly hp: Hyperparams
  /** Paired speed-up over the baseline (baseline steps / arm steps) with its CI (`speedup.method` says which); null for the baseline. */
  readonly speedup: SpeedupEstimate | null
  /**
   * Verdict word (faster / slower / no difference detected / inconclusive) with the minimum detectable
   * speed-up it rests on (`verdict.minimumDetectable.speedup`); null for the baseline.
   */
  readonly verdict: Verdict | null
  /** Probability that the arm reaches the target in fewer steps than the baseline, over seed pairs. */
  readonly pFaster: number | null
  /** Median training wall time per step (ms), evaluation excluded. */
  readonly msPerStep: number
  /** Median training wall time until the target (ms); null when the median run did not reach it. */
  readonly medianTimeToTargetMs: number | null
  /**
   * With a smoothed crossing (`crossing: 'median3'`): the same numbers read from the raw first
   * crossing, for comparison; null when the suite reads raw crossings.
   */
  readonly raw: {
    readonly stepsBySeed: readonly (number | null)[]
    readonly medianSteps: number | null
    readonly speedup: SpeedupEstimate | null
    readonly verdict: Verdict | null
  } | null
  /** Medians of the numeric extras the arm collected. */
  readonly extras: Readonly<Record<string, number>>
  readonly backends: readonly string[]
}

export interface SuiteSummary {
  readonly suite: string
  readonly description: string
  readonly size: string
  readonly baseline: string
  readonly target: Target
  /** How the target was set: 'explicit', or derived from the baseline (with its median best and margin). */
  readonly targetSource: string
  readonly maxSteps: number
  readonly evalEvery: number
  readonly seeds: readonly number[]
  readonly arms: readonly ArmSummary[]
  readonly cost: { readonly name: string; readonly perStep: number } | null
  readonly notes: string | null
  /** Tuned arms: grid, score per point, choice and cost; empty when no arm has a grid. */
  readonly tuning: readonly ArmTuning[]
  /** The target tuning runs were judged against, and how it was set; null without tuning. */
  readonly tuningTarget: { readonly target: Target; readonly source: string } | null
  readonly tuningSeeds: number
  /** Steps-to-target at several target levels around the suite's (empty when the baseline's best does not pass the target). */
  readonly targetLevels: readonly TargetLevel[]
  /** `pairs: 'auto'`: the pilot's spread and the pairs it chose; null when the size fixed the pairs. */
  readonly pairsChoice: PairsChoice | null
  /** Budget-matched speed-ups of the arms with `budgetFractions` (empty when none). */
  readonly budgetMatched: readonly BudgetMatched[]
  /** How crossings were read: 'raw' first evaluation, or 'median3' running median of 3 (raw also reported per arm). */
  readonly crossing: CrossingRule
  /** How tuning ranked grid points: 'steps' (median steps-to-target) or 'final' (median final value). */
  readonly tuneBy: 'steps' | 'final'
  /**
   * Evaluation noise of the target metric beside the target: median |difference| between consecutive
   * evaluations over the second half of the baseline's runs (median over seeds), absolute and as a
   * fraction of the target's distance from the baseline's median first evaluation.
   */
  readonly evaluationNoise: { readonly method: 'consecutive evaluations'; readonly value: number; readonly relativeToGap: number | null } | null
}

export interface SummariseOptions {
  readonly tuning?: readonly ArmTuning[]
  readonly tuningTarget?: { readonly target: Target; readonly source: string } | null
  readonly tuningSeeds?: number
  /** Step budget (default: the records'). */
  readonly maxSteps?: number
  /** The target fixed on the tuning seeds (required for a `fromTuning` target). */
  readonly target?: { readonly target: Target; readonly source: string }
  /** How many pairs `pairs: 'auto'` chose, and why. */
  readonly pairsChoice?: PairsChoice | null
}

const finiteOr = (x: number, fallback: number | null) => (Number.isFinite(x) ? x : fallback)

/** Computes the suite's target, then every arm's statistics against it, from completed records. */
export function summarise(suite: BenchSuite, records: readonly RunRecord[], size: string, options: SummariseOptions = {}): SuiteSummary {
  const byArm = new Map<string, RunRecord[]>()
  for (const r of records.filter((x) => x.kind === 'run')) {
    const list = byArm.get(r.arm) ?? []
    list.push(r)
    byArm.set(r.arm, list)
  }
  const baselineRuns = (byArm.get(suite.baseline) ?? []).sort((a, b) => a.seed - b.seed)
  if (baselineRuns.length === 0) throw new RangeError(`suite "${suite.name}": no completed runs of the baseline arm "${suite.baseline}"`)
  const first = baselineRuns[0] as RunRecord
  const maxSteps = options.maxSteps ?? first.maxSteps
  const metric = suite.target.kind === 'explicit' ? suite.target.target.metric : (suite.target.metric ?? first.result.taskTarget.metric)
  const direction = suite.target.kind === 'explicit' ? suite.target.target.direction : (suite.target.direction ?? first.result.taskTarget.direction)
  const baselineBest = median(baselineRuns.map((r) => bestMetric(r.result.history, metric, direction)))

  let target: Target
  let targetSource: string
  const spec = suite.target
  if (spec.kind === 'explicit') {
    target = spec.target
    targetSource = 'explicit'
  } else if (spec.kind === 'fromTuning') {
    if (!options.target) throw new RangeError(`suite "${suite.name}": a target from the tuning seeds needs the baseline's tuning runs (summarise({ target }))`)
    target = options.target.target
    targetSource = options.target.source
  } else {
    const derived = targetFromBaseline(baselineRuns.map((r) => r.result.history), metric, direction, spec.margin)
    target = { metric, direction, value: derived.value }
    targetSource = `baseline "${suite.baseline}" median best ${derived.baselineMedianBest.toPrecision(5)}, loosened by ${spec.margin * 100}%`
  }

  const crossing: CrossingRule = suite.crossing ?? 'raw'
  const stepsUnder = (rule: CrossingRule) => (t: Target) => (r: RunRecord) =>
    r.result.diverged ? null : stepsToTarget(crossingHistory(r.result.history, rule, t.metric, t.direction), t)
  const stepsAt = stepsUnder(crossing)
  const stepsOf = stepsAt(target)
  const toInf = (s: number | null) => (s === null ? Number.POSITIVE_INFINITY : s)
  const runsOf = (name: string) => (byArm.get(name) ?? []).sort((x, y) => x.seed - y.seed)
  /** Paired speed-up of an arm at a target (pairs by seed with the baseline), with its verdict. */
  const pairedAt = (name: string, t: Target, at = stepsAt): { speedup: SpeedupEstimate; verdict: Verdict } => {
    const base = new Map(baselineRuns.map((r) => [r.seed, at(t)(r)]))
    const paired = runsOf(name).filter((r) => base.has(r.seed))
    const bounds = pairBounds(paired.map((r) => base.get(r.seed) ?? null), paired.map(at(t)), maxSteps)
    const speedup = speedupEstimate(bounds)
    return { speedup, verdict: verdictOf(speedup, minimumDetectable(bounds, speedup.method)) }
  }
  const baselineBySeed = new Map(baselineRuns.map((r) => [r.seed, toInf(stepsOf(r))]))
  const armsRun = suite.arms.filter((a) => byArm.has(a.name))

  const arms: ArmSummary[] = armsRun.map((a) => {
    const runs = runsOf(a.name)
    const steps = runs.map(stepsOf)
    const inf = steps.map(toInf)
    const paired = runs.filter((r) => baselineBySeed.has(r.seed))
    const base = paired.map((r) => baselineBySeed.get(r.seed) as number)
    const mine = paired.map((r) => toInf(stepsOf(r)))
    const isBaseline = a.name === suite.baseline
    const vsBaseline = isBaseline ? null : pairedAt(a.name, target)
    const timeToTarget = runs.map((r) => {
      const s = stepsOf(r)
      return s === null ? Number.POSITIVE_INFINITY : (r.result.history.find((h) => h.step === s)?.trainMs ?? Number.NaN)
    })
    const extras: Record<string, number> = {}
    const keys = new Set(runs.flatMap((r) => Object.keys(r.extras)))
    for (const k of keys) {
      const vals = runs.map((r) => r.extras[k]).filter((v): v is number => typeof v === 'number')
      if (vals.length) extras[k] = median(vals)
    }
    const rawSteps = crossing === 'raw' ? null : runs.map(stepsUnder('raw')(target))
    const rawVsBaseline = crossing === 'raw' || isBaseline ? null : pairedAt(a.name, target, stepsUnder('raw'))
    return {
      arm: a.name,
      description: a.description ?? '',
      raw: rawSteps ? { stepsBySeed: rawSteps, medianSteps: finiteOr(median(rawSteps.map(toInf)), null), speedup: rawVsBaseline?.speedup ?? null, verdict: rawVsBaseline?.verdict ?? null } : null,
      hp: runs[0]?.hp ?? {},
      runs: runs.length,
      reached: steps.filter((s) => s !== null).length,
      diverged: runs.filter((r) => r.result.diverged).length,
      stepsBySeed: steps,
      seeds: runs.map((r) => r.seed),
      medianSteps: finiteOr(median(inf), null),
      speedup: vsBaseline?.speedup ?? null,
      verdict: vsBaseline?.verdict ?? null,
      pFaster: isBaseline ? null : finiteOr(probabilityFaster(base, mine), null),
      msPerStep: median(runs.map((r) => r.result.trainMs / Math.max(1, r.result.steps))),
      medianTimeToTargetMs: finiteOr(median(timeToTarget), null),
      extras,
      backends: [...new Set(runs.map((r) => `${r.backend.name}${r.backend.tunedWasm ? ' (tuned)' : ''}`))],
    }
  })

  const noise = (): SuiteSummary['evaluationNoise'] => {
    const values = baselineRuns.map((r) => consecutiveEvaluationNoise(r.result.history, metric)).filter(Number.isFinite)
    if (!values.length) return null
    const value = median(values)
    const start = median(baselineRuns.map((r) => r.result.history.find((h) => typeof h.metrics[metric] === 'number')?.metrics[metric] ?? Number.NaN).filter(Number.isFinite))
    const gap = Math.abs(start - target.value)
    return { method: 'consecutive evaluations', value, relativeToGap: Number.isFinite(gap) && gap > 0 ? value / gap : null }
  }

  // Target levels: the suite's target moved along its distance from the baseline's median best.
  const gap = baselineBest - target.value
  const passes = Number.isFinite(gap) && (direction === 'max' ? gap > 0 : gap < 0)
  // Runs that ended at the target (stopAtTarget) say nothing about stricter levels: only looser ones are measured.
  const stoppedAtTarget = records.some((r) => r.kind === 'run' && r.result.stopReason === 'target reached')
  const scales = stoppedAtTarget ? GAP_SCALES.filter((scale) => scale >= 1) : GAP_SCALES
  const targetLevels: TargetLevel[] = passes
    ? scales.map((scale) => {
        const t: Target = { metric, direction, value: baselineBest - gap * scale }
        return {
          gapScale: scale,
          target: t,
          arms: armsRun.map((a) => {
            const st = runsOf(a.name).map(stepsAt(t))
            const vs = a.name === suite.baseline ? null : pairedAt(a.name, t)
            return {
              arm: a.name,
              reached: st.filter((x) => x !== null).length,
              runs: st.length,
              medianSteps: finiteOr(median(st.map(toInf)), null),
              speedup: vs?.speedup ?? null,
              verdict: vs?.verdict ?? null,
            }
          }),
        }
      })
    : []

  return {
    suite: suite.name,
    description: suite.description,
    size,
    baseline: suite.baseline,
    target,
    targetSource,
    maxSteps,
    evalEvery: first.evalEvery,
    seeds: [...new Set(records.filter((r) => r.kind === 'run').map((r) => r.seed))].sort((a, b) => a - b),
    arms,
    cost: suite.cost ?? null,
    notes: suite.notes ?? null,
    tuning: options.tuning ?? [],
    tuningTarget: options.tuningTarget ?? null,
    tuningSeeds: options.tuningSeeds ?? 0,
    targetLevels,
    pairsChoice: options.pairsChoice ?? null,
    crossing,
    tuneBy: suite.tuneBy ?? 'steps',
    evaluationNoise: noise(),
    budgetMatched: armsRun
      .filter((a) => a.budgetFractions && a.name !== suite.baseline)
      .map((a) => budgetMatched(a.name, baselineRuns, records.filter((r) => r.arm === a.name && (r.kind === 'budget' || r.kind === 'run')), { metric, direction })),
  }
}
