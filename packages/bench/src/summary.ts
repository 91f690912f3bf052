import { stepsToTarget, type Target } from '@converge/core'
import type { RunRecord } from './records.js'
import { bootstrapMedianRatioCI, median, pairedSpeedups, probabilityFaster, type Interval } from './stats.js'
import type { BenchSuite } from '@converge/core/suite'
import { targetFromBaseline } from './target.js'

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
  /** Paired speed-up over the baseline (baseline steps / arm steps) with its bootstrap CI; null for the baseline. */
  readonly speedup: Interval | null
  /** Probability that the arm reaches the target in fewer steps than the baseline, over seed pairs. */
  readonly pFaster: number | null
  /** Median training wall time per step (ms), evaluation excluded. */
  readonly msPerStep: number
  /** Median training wall time until the target (ms); null when the median run did not reach it. */
  readonly medianTimeToTargetMs: number | null
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
}

const finiteOr = (x: number, fallback: number | null) => (Number.isFinite(x) ? x : fallback)

/** Computes the suite's target, then every arm's statistics against it, from completed records. */
export function summarise(suite: BenchSuite, records: readonly RunRecord[], size: string, options: { bootstrapResamples?: number } = {}): SuiteSummary {
  const byArm = new Map<string, RunRecord[]>()
  for (const r of records) {
    const list = byArm.get(r.arm) ?? []
    list.push(r)
    byArm.set(r.arm, list)
  }
  const baselineRuns = (byArm.get(suite.baseline) ?? []).sort((a, b) => a.seed - b.seed)
  if (baselineRuns.length === 0) throw new RangeError(`suite "${suite.name}": no completed runs of the baseline arm "${suite.baseline}"`)
  const first = baselineRuns[0] as RunRecord

  let target: Target
  let targetSource: string
  if (suite.target.kind === 'explicit') {
    target = suite.target.target
    targetSource = 'explicit'
  } else {
    const metric = suite.target.metric ?? first.result.taskTarget.metric
    const direction = suite.target.direction ?? first.result.taskTarget.direction
    const derived = targetFromBaseline(baselineRuns.map((r) => r.result.history), metric, direction, suite.target.margin)
    target = { metric, direction, value: derived.value }
    targetSource = `baseline "${suite.baseline}" median best ${derived.baselineMedianBest.toPrecision(5)}, loosened by ${suite.target.margin * 100}%`
  }

  const stepsOf = (r: RunRecord) => (r.result.diverged ? null : stepsToTarget(r.result.history, target))
  const toInf = (s: number | null) => (s === null ? Number.POSITIVE_INFINITY : s)
  const baselineBySeed = new Map(baselineRuns.map((r) => [r.seed, toInf(stepsOf(r))]))

  const arms: ArmSummary[] = suite.arms
    .filter((a) => byArm.has(a.name))
    .map((a) => {
      const runs = (byArm.get(a.name) as RunRecord[]).sort((x, y) => x.seed - y.seed)
      const steps = runs.map(stepsOf)
      const inf = steps.map(toInf)
      const paired = runs.filter((r) => baselineBySeed.has(r.seed))
      const base = paired.map((r) => baselineBySeed.get(r.seed) as number)
      const mine = paired.map((r) => toInf(stepsOf(r)))
      const isBaseline = a.name === suite.baseline
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
      return {
        arm: a.name,
        description: a.description ?? '',
        runs: runs.length,
        reached: steps.filter((s) => s !== null).length,
        diverged: runs.filter((r) => r.result.diverged).length,
        stepsBySeed: steps,
        seeds: runs.map((r) => r.seed),
        medianSteps: finiteOr(median(inf), null),
        speedup: isBaseline ? null : bootstrapMedianRatioCI(pairedSpeedups(base, mine), { seed: `${suite.name}:${a.name}`, resamples: options.bootstrapResamples ?? 10_000 }),
        pFaster: isBaseline ? null : finiteOr(probabilityFaster(base, mine), null),
        msPerStep: median(runs.map((r) => r.result.trainMs / Math.max(1, r.result.steps))),
        medianTimeToTargetMs: finiteOr(median(timeToTarget), null),
        extras,
        backends: [...new Set(runs.map((r) => `${r.backend.name}${r.backend.tunedWasm ? ' (tuned)' : ''}`))],
      }
    })

  return {
    suite: suite.name,
    description: suite.description,
    size,
    baseline: suite.baseline,
    target,
    targetSource,
    maxSteps: first.maxSteps,
    evalEvery: first.evalEvery,
    seeds: [...new Set(records.map((r) => r.seed))].sort((a, b) => a - b),
    arms,
    cost: suite.cost ?? null,
    notes: suite.notes ?? null,
  }
}
