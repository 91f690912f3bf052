import { fmtHyperparams } from './job.js'
import { CI_LEVEL, MIN_INFORMATIVE_PAIRS, type SpeedupEstimate } from './paired-ratio.js'
import type { ArmSummary, SuiteSummary } from './summary.js'
import type { ArmTuning } from './tuning.js'
import type { Verdict } from './verdict.js'

export function fmtRatio(x: number): string {
  if (Number.isNaN(x)) return 'n/a'
  if (x === Number.POSITIVE_INFINITY) return '∞'
  if (x === 0) return '0'
  return x >= 10 ? x.toFixed(1) : x.toFixed(2)
}

/**
 * The median speed-up: a point (`1.25x`), or a bound when censored runs leave it open (`< 0.42x`:
 * the arm did not reach the target in the median pair; `> 2.0x`: the baseline did not).
 */
export function fmtEstimate(e: SpeedupEstimate): string {
  const { estimateLow: lo, estimateHigh: hi } = e
  if (lo === hi) return `${fmtRatio(lo)}x`
  if (lo === 0 && Number.isFinite(hi)) return `< ${fmtRatio(hi)}x`
  if (!Number.isFinite(hi) && lo > 0) return `> ${fmtRatio(lo)}x`
  if (lo === 0) return 'undetermined'
  return `${fmtRatio(lo)}–${fmtRatio(hi)}x`
}

/** Speed-up with its CI; below the minimum of informative pairs, says why there is no ratio. */
export function fmtSpeedup(e: SpeedupEstimate | null): string {
  if (!e) return '(baseline)'
  if (e.n === 0) return 'n/a: neither arm reached on any seed'
  if (!e.enough) return `no ratio: ${e.n} informative pair${e.n === 1 ? '' : 's'} (needs ${MIN_INFORMATIVE_PAIRS})`
  const level = e.level >= CI_LEVEL ? '' : ` (${Math.floor(e.level * 1000) / 10}% CI)`
  return `${fmtEstimate(e)} ${e.lowOpen ? '(' : '['}${fmtRatio(e.low)}, ${fmtRatio(e.high)}${e.highOpen ? ')' : ']'}${level}`
}

/** Which interval a row's CI is: the signed-rank one (Hodges–Lehmann estimate) or the sign test's. */
export function fmtMethod(e: SpeedupEstimate | null): string {
  if (!e || !e.enough) return ''
  return e.method === 'signed-rank' ? 'signed-rank' : 'sign test'
}

/** The minimum detectable speed-up as a report cell: `1.24x (σ 0.12, 8 pairs)`; '' for the baseline. */
export function fmtMinimumDetectable(v: Verdict | null): string {
  if (!v) return ''
  const m = v.minimumDetectable
  if (m.speedup === null) return 'unknown (fewer than 2 pairs where both reached)'
  return `≥ ${fmtRatio(m.speedup)}x (sd ${(m.logSpread as number).toFixed(2)}, ${m.pairs} pairs${m.optimistic ? ', censored: optimistic' : ''})`
}

export function fmtMs(ms: number | null): string {
  if (ms === null) return 'not reached'
  if (!Number.isFinite(ms)) return 'n/a'
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`
}

export function fmtNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US')
  const a = Math.abs(v)
  return a >= 1000 ? Math.round(v).toLocaleString('en-US') : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3)
}

/** The arm table, as header + rows of cells (shared by the console and Markdown renderers). */
export function armTable(s: SuiteSummary): { header: string[]; rows: string[][] } {
  const header = [
    'arm',
    'reached',
    'median steps',
    ...(s.cost ? [`median ${s.cost.name}`] : []),
    ...(s.tuning.length ? ['hyperparameters'] : []),
    `speed-up vs baseline [${CI_LEVEL * 100}% CI]`,
    ...(s.crossing === 'median3' ? ['raw-crossing speed-up'] : []),
    'interval',
    'verdict',
    'detectable at 80% power',
    'P(faster)',
    'ms/step',
    'time to target',
  ]
  const rows = s.arms.map((a: ArmSummary) => [
    a.arm,
    `${a.reached}/${a.runs}${a.diverged ? ` (${a.diverged} diverged)` : ''}`,
    a.medianSteps === null ? `not reached in ${s.maxSteps}` : fmtNumber(a.medianSteps),
    ...(s.cost ? [a.medianSteps === null ? `> ${fmtNumber(s.maxSteps * s.cost.perStep)}` : fmtNumber(a.medianSteps * s.cost.perStep)] : []),
    ...(s.tuning.length ? [s.tuning.some((t) => t.arm === a.arm) ? `${fmtHyperparams(a.hp)} (tuned)` : 'fixed'] : []),
    fmtSpeedup(a.speedup),
    ...(s.crossing === 'median3' ? [a.raw?.speedup ? `${fmtSpeedup(a.raw.speedup)}; ${a.raw.verdict?.word ?? ''}` : ''] : []),
    fmtMethod(a.speedup),
    a.verdict?.text ?? '',
    fmtMinimumDetectable(a.verdict),
    a.pFaster === null ? '' : a.pFaster.toFixed(2),
    a.msPerStep.toFixed(2),
    fmtMs(a.medianTimeToTargetMs),
  ])
  return { header, rows }
}

/** The numbers each arm collected (medians over seeds), or null when no arm collected any. */
export function extrasTable(s: SuiteSummary): { header: string[]; rows: string[][] } | null {
  const keys = [...new Set(s.arms.flatMap((a) => Object.keys(a.extras)))]
  if (keys.length === 0) return null
  return {
    header: ['arm', ...keys],
    rows: s.arms.map((a) => [a.arm, ...keys.map((k) => (a.extras[k] === undefined ? '' : fmtNumber(a.extras[k] as number)))]),
  }
}

/** Console tables stay readable: more collected columns than this are left to report.md. */
export const CONSOLE_EXTRA_COLUMNS = 4

export function fmtTarget(s: SuiteSummary): string {
  return `${s.target.metric} ${s.target.direction === 'max' ? '>=' : '<='} ${s.target.value.toPrecision(5)} (${s.targetSource})`
}

/** Evaluation noise and the crossing rule, printed beside the target. */
export function fmtNoise(s: SuiteSummary): string {
  const rule = s.crossing === 'median3' ? 'crossings read from the running median of 3 evaluations (raw crossings in their own column)' : 'crossings at the first evaluation that meets the target'
  const n = s.evaluationNoise
  if (!n) return rule
  const rel = n.relativeToGap === null ? '' : ` (${(n.relativeToGap * 100).toFixed(1)}% of the distance from the first evaluation to the target)`
  return `evaluation noise ${fmtNumber(n.value)} in ${s.target.metric}${rel}: median |change| between consecutive evaluations, second half of the baseline's runs (the held-out set is fixed, so this is the spread that moves a crossing); ${rule}`
}

function aligned(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
}

/** Plain aligned tables for terminals. */
export function renderConsole(s: SuiteSummary): string {
  const { header, rows } = armTable(s)
  const extras = extrasTable(s)
  const extraLines = !extras
    ? []
    : extras.header.length - 1 <= CONSOLE_EXTRA_COLUMNS
      ? ['', 'collected per arm (medians over seeds):', ...aligned(extras.header, extras.rows)]
      : ['', `${extras.header.length - 1} numbers collected per arm: see report.md`]
  return [
    `${s.suite} (${s.size}): ${s.description}`,
    `target: ${fmtTarget(s)}; ${s.seeds.length} paired seeds, max ${s.maxSteps} steps, eval every ${s.evalEvery}`,
    fmtNoise(s),
    ...s.tuning.map((t) => `tuned ${t.arm}: ${fmtTuning(t)}`),
    ...aligned(header, rows),
    ...extraLines,
  ].join('\n')
}

const md = (c: string) => c.replace(/\|/g, '\\|')

function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.map(md).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(md).join(' | ')} |`)].join('\n')
}

export function renderMarkdownTable(s: SuiteSummary): string {
  const { header, rows } = armTable(s)
  return markdownTable(header, rows)
}

/** The collected numbers as a Markdown table; '' when there are none or more than `maxColumns`. */
export function renderMarkdownExtras(s: SuiteSummary, maxColumns = Number.POSITIVE_INFINITY): string {
  const extras = extrasTable(s)
  return extras && extras.header.length - 1 <= maxColumns ? markdownTable(extras.header, extras.rows) : ''
}

/** One line per tuned arm: grid, choice and cost. */
export function fmtTuning(t: ArmTuning): string {
  const grid = t.grid ? Object.entries(t.grid).map(([k, v]) => `${k} ∈ {${v.join(', ')}}`).join(' × ') : 'fixed (target only)'
  return `${grid} on ${t.seeds.length} tuning seeds → ${fmtHyperparams(t.chosen)}; cost ${t.runs} runs, ${fmtNumber(t.steps)} steps, ${fmtMs(t.trainMs)} training${fmtTuningChecks(t)}`
}

/** Whether the tuning seeds agreed, and a warning per hyperparameter chosen at its grid's edge. */
export function fmtTuningChecks(t: ArmTuning): string {
  if (!t.grid) return ''
  const agree = t.perSeed.length < 2 ? '' : t.seedsAgree ? '; tuning seeds agreed' : `; tuning seeds disagreed (${t.perSeed.map((p) => `seed ${p.seed} → ${fmtHyperparams(p.chosen)}`).join(', ')})`
  const edges = t.atEdge.map((e) => `; WARNING: ${e.key} = ${e.value} is the ${e.side} value of its grid: widen the grid`).join('')
  return agree + edges
}

/** Tuning per arm as a Markdown table: median steps-to-target (reached/runs) at every grid point. */
export function renderTuningMarkdown(s: SuiteSummary): string {
  if (!s.tuning.length) return ''
  const lines: string[] = []
  for (const t of s.tuning) {
    lines.push(`**${t.arm}**: ${fmtTuning(t)}`, '', `| hyperparameters | median steps (tuning seeds) | reached | median best ${s.target.metric} | median final ${s.target.metric} |`, '|---|---|---|---|---|')
    const fmtValue = (v: number) => (Number.isFinite(v) ? v.toPrecision(4) : 'diverged')
    for (const p of t.points) {
      const chosen = JSON.stringify(p.hp) === JSON.stringify(t.chosen) ? ' **(chosen)**' : ''
      lines.push(`| ${fmtHyperparams(p.hp)}${chosen} | ${p.medianSteps === null ? `not reached in ${s.maxSteps}` : fmtNumber(p.medianSteps)} | ${p.reached}/${p.steps.length} | ${fmtValue(p.medianBest)} | ${fmtValue(p.medianFinal)} |`)
    }
    lines.push('')
  }
  return lines.join('\n')
}

/** Median speed-up (and reached counts) at each target level. */
export function renderTargetLevelsMarkdown(s: SuiteSummary): string {
  if (!s.targetLevels.length) return ''
  const arms = s.arms.map((a) => a.arm)
  const header = ['target', ...arms]
  const rows = s.targetLevels.map((l) => [
    `${l.target.metric} ${l.target.direction === 'max' ? '>=' : '<='} ${l.target.value.toPrecision(4)}${l.gapScale === 1 ? ' (suite target)' : ` (${l.gapScale}x the gap)`}`,
    ...arms.map((name) => {
      const a = l.arms.find((x) => x.arm === name)
      if (!a) return ''
      const steps = a.medianSteps === null ? `not reached in ${s.maxSteps}` : `${fmtNumber(a.medianSteps)} steps`
      return a.speedup ? `${fmtSpeedup(a.speedup)} (${fmtMethod(a.speedup) || 'no interval'}); ${a.verdict?.text ?? ''}; ${a.reached}/${a.runs}` : `${steps}; ${a.reached}/${a.runs}`
    }),
  ])
  return markdownTable(header, rows)
}

/** Budget-matched speed-ups as a Markdown table; '' when no arm has budgets. */
export function renderBudgetMatchedMarkdown(s: SuiteSummary): string {
  if (!s.budgetMatched.length) return ''
  const header = ['arm', 'budgets', `baseline budget`, `speed-up T_baseline / T* [${CI_LEVEL * 100}% CI]`, 'interval', 'verdict', 'detectable at 80% power']
  const rows = s.budgetMatched.map((b) => [
    b.arm,
    b.budgets.join(', '),
    String(b.baselineBudget),
    fmtSpeedup(b.speedup),
    fmtMethod(b.speedup),
    b.verdict.text,
    fmtMinimumDetectable(b.verdict),
  ])
  return markdownTable(header, rows)
}
