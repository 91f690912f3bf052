import type { Interval } from './stats.js'
import type { ArmSummary, SuiteSummary } from './summary.js'

export function fmtRatio(x: number): string {
  if (Number.isNaN(x)) return 'n/a'
  if (x === Number.POSITIVE_INFINITY) return '∞'
  if (x === 0) return '0'
  return x >= 10 ? x.toFixed(1) : x.toFixed(2)
}

export function fmtInterval(i: Interval | null): string {
  if (!i) return '(baseline)'
  if (i.n === 0) return 'n/a: neither reached'
  if (i.n === 1) return `${fmtRatio(i.estimate)}x (1 seed pair: no CI)`
  return `${fmtRatio(i.estimate)}x [${fmtRatio(i.low)}, ${fmtRatio(i.high)}]`
}

export function fmtMs(ms: number | null): string {
  if (ms === null) return 'not reached'
  if (!Number.isFinite(ms)) return 'n/a'
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`
}

function fmtNumber(v: number): string {
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
    'speed-up vs baseline [95% CI]',
    'P(faster)',
    'ms/step',
    'time to target',
  ]
  const rows = s.arms.map((a: ArmSummary) => [
    a.arm,
    `${a.reached}/${a.runs}${a.diverged ? ` (${a.diverged} diverged)` : ''}`,
    a.medianSteps === null ? `not reached (> ${s.maxSteps})` : fmtNumber(a.medianSteps),
    ...(s.cost ? [a.medianSteps === null ? 'not reached' : fmtNumber(a.medianSteps * s.cost.perStep)] : []),
    fmtInterval(a.speedup),
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
