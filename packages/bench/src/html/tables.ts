import { armTable, extrasTable, fmtNumber, fmtRatio } from '../format.js'
import { CI_LEVEL } from '../paired-ratio.js'
import type { SuitePageModel, TuningChart } from './model.js'

/**
 * The text tables of a suite page: the verdict table of report.md and, beside every chart, the
 * numbers it draws, formatted as report.md formats them (format.ts).
 */

export interface TextTable {
  readonly caption: string
  readonly header: readonly string[]
  readonly rows: readonly (readonly string[])[]
}

const metricValue = (v: number | null) => (v === null ? 'n/a' : fmtNumber(v))
const cmp = (d: 'min' | 'max') => (d === 'max' ? '>=' : '<=')

/** The verdict table (report.md's) and the collected numbers when there are any. */
export function verdictTables(m: SuitePageModel): TextTable[] {
  const t = armTable(m.summary)
  const extras = extrasTable(m.summary)
  return [
    { caption: 'Steps-to-target per arm', header: t.header, rows: t.rows },
    ...(extras ? [{ caption: 'Collected per arm (medians over seeds)', header: extras.header, rows: extras.rows }] : []),
  ]
}

export function designTable(m: SuitePageModel): TextTable {
  return {
    caption: 'Arms',
    header: ['arm', 'description', 'tricks (applied order, options)', 'optimizer', 'hyperparameters'],
    rows: m.design.map((d) => [d.arm, d.description, d.tricks, d.optimizer, d.hp]),
  }
}

/** Every run: where it crossed the target, or that it did not. */
export function curvesTable(m: SuitePageModel): TextTable {
  const outcome = (o: SuitePageModel['outcomes'][number]) =>
    o.kind === 'crossing' ? fmtNumber(o.step) : o.kind === 'censored' ? `not reached in ${m.summary.maxSteps}` : `diverged at step ${fmtNumber(o.step)}`
  return {
    caption: `Every run against the target ${m.metric} ${cmp(m.direction)} ${m.target.value.toPrecision(5)}`,
    header: ['arm', 'seed', 'steps to target', `best ${m.metric}`, `final ${m.metric}`],
    rows: m.outcomes.map((o) => [o.arm, String(o.seed), outcome(o), metricValue(o.best), metricValue(o.final)]),
  }
}

/** Steps-to-target per arm and seed (report.md's per-seed table). */
export function pairsTable(m: SuitePageModel): TextTable {
  const seeds = m.summary.seeds
  return {
    caption: 'Steps-to-target per seed',
    header: ['arm', ...seeds.map((s) => `seed ${s}`)],
    rows: m.summary.arms.map((a) => [
      a.arm,
      ...seeds.map((seed) => {
        const i = a.seeds.indexOf(seed)
        if (i < 0) return '–'
        const v = a.stepsBySeed[i]
        return v === null || v === undefined ? `not reached in ${m.summary.maxSteps}` : fmtNumber(v)
      }),
    ]),
  }
}

export function forestTable(m: SuitePageModel): TextTable {
  const hasMds = m.forest.some((r) => r.minDetectable !== null)
  const hasVerdict = m.forest.some((r) => r.verdict !== null)
  return {
    caption: `Speed-up over "${m.summary.baseline}"`,
    header: ['arm', `speed-up [${CI_LEVEL * 100}% CI]`, ...(hasVerdict ? ['verdict'] : []), ...(hasMds ? ['minimum detectable speed-up'] : []), 'P(faster)', 'reached'],
    rows: m.forest.map((r) => [
      r.arm,
      r.text,
      ...(hasVerdict ? [r.verdict ?? ''] : []),
      ...(hasMds ? [r.minDetectable === null ? '' : `${fmtRatio(r.minDetectable)}x`] : []),
      r.pFaster === null ? '' : r.pFaster.toFixed(2),
      `${r.reached}/${r.runs}`,
    ]),
  }
}

/** report.md's table of speed-ups at other targets. */
export function levelsTable(m: SuitePageModel): TextTable {
  const scales = [...new Set(m.levels.map((l) => l.gapScale))]
  return {
    caption: 'Speed-up (or median steps) at each target level; reached runs',
    header: ['target', ...m.arms],
    rows: scales.map((g) => {
      const at = m.levels.filter((l) => l.gapScale === g)
      const t = at[0]?.target ?? Number.NaN
      return [
        `${m.metric} ${cmp(m.direction)} ${t.toPrecision(4)}${g === 1 ? ' (suite target)' : ` (${g}x the gap)`}`,
        ...m.arms.map((a) => {
          const l = at.find((x) => x.arm === a)
          return l ? `${l.text}; ${l.reached}/${l.runs}` : ''
        }),
      ]
    }),
  }
}

export function tuningTable(m: SuitePageModel, t: TuningChart): TextTable {
  const seeds = [...new Set(t.runs.map((r) => r.seed))].sort((a, b) => a - b)
  return {
    caption: t.line,
    header: ['hyperparameters', 'median steps (tuning seeds)', 'reached', `median best ${m.metric}`, ...seeds.map((s) => `best, seed ${s}`)],
    rows: t.points.map((p) => [
      `${p.hp}${p.chosen ? ' (chosen)' : ''}`,
      p.medianSteps === null ? `not reached in ${m.summary.maxSteps}` : fmtNumber(p.medianSteps),
      `${p.reached}/${p.runs}`,
      Number.isFinite(p.medianBest) ? p.medianBest.toPrecision(4) : 'diverged',
      ...seeds.map((s) => metricValue(t.runs.find((r) => r.hp === p.hp && r.seed === s)?.best ?? null)),
    ]),
  }
}
