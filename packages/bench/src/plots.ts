import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { RunRecord } from './records.js'
import { median } from './stats.js'
import type { SuitePlot } from '@converge/core/suite'
import type { SuiteSummary } from './summary.js'

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'

/** Renders a Vega-Lite spec to an SVG string with Vega's headless renderer. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = compile({ $schema: SCHEMA, background: 'white', ...spec } as TopLevelSpec).spec
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

/** Metric against step per arm: the median over seeds as a line, the min–max over seeds as a band, the target as a rule. */
export function metricPlot(summary: SuiteSummary, records: readonly RunRecord[]): SuitePlot {
  const { metric, value } = summary.target
  const rows: { arm: string; step: number; median: number; low: number; high: number }[] = []
  for (const arm of summary.arms) {
    const byStep = new Map<number, number[]>()
    for (const r of records.filter((x) => x.arm === arm.arm)) {
      for (const h of r.result.history) {
        const v = h.metrics[metric]
        if (typeof v !== 'number' || !Number.isFinite(v)) continue
        const list = byStep.get(h.step) ?? []
        list.push(v)
        byStep.set(h.step, list)
      }
    }
    for (const [step, vals] of [...byStep].sort((a, b) => a[0] - b[0])) {
      rows.push({ arm: arm.arm, step, median: median(vals), low: Math.min(...vals), high: Math.max(...vals) })
    }
  }
  const x = { field: 'step', type: 'quantitative', title: 'optimizer steps' }
  return {
    name: 'metric',
    title: `${metric} against steps (median over seeds, band = min–max)`,
    spec: {
      title: `${summary.suite}: held-out ${metric} (median over ${summary.seeds.length} seeds; band = min–max)`,
      width: 560,
      height: 320,
      layer: [
        {
          data: { values: rows },
          mark: { type: 'area', opacity: 0.15 },
          encoding: { x, y: { field: 'low', type: 'quantitative', title: metric, scale: { zero: false } }, y2: { field: 'high' }, color: { field: 'arm', type: 'nominal' } },
        },
        {
          data: { values: rows },
          mark: { type: 'line', point: { size: 12 } },
          encoding: { x, y: { field: 'median', type: 'quantitative' }, color: { field: 'arm', type: 'nominal' } },
        },
        {
          data: { values: [{ target: value }] },
          mark: { type: 'rule', strokeDash: [4, 4], color: 'black' },
          encoding: { y: { field: 'target', type: 'quantitative' } },
        },
      ],
    },
  }
}

/** Paired speed-up over the baseline per arm, with its 95% bootstrap CI, on a log axis. */
export function speedupPlot(summary: SuiteSummary): SuitePlot {
  const arms = summary.arms.filter((a) => a.speedup && a.speedup.n > 0)
  const finite = arms.flatMap((a) => [a.speedup!.estimate, a.speedup!.low, a.speedup!.high]).filter((v) => Number.isFinite(v) && v > 0)
  const floor = finite.length ? Math.min(...finite, 1) / 2 : 0.5
  const cap = finite.length ? Math.max(...finite, 1) * 2 : 2
  const clamp = (v: number) => (v === 0 ? floor : Number.isFinite(v) ? v : cap)
  const rows = arms.map((a) => ({
    arm: a.arm,
    estimate: clamp(a.speedup!.estimate),
    low: clamp(a.speedup!.low),
    high: clamp(a.speedup!.high),
  }))
  return {
    name: 'speedup',
    title: 'speed-up over the baseline with 95% bootstrap CI',
    spec: {
      title: `${summary.suite}: steps-to-target speed-up over "${summary.baseline}" (95% CI; 0 and ∞ drawn at the axis ends)`,
      width: 480,
      height: Math.max(80, 32 * rows.length),
      layer: [
        {
          data: { values: rows },
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { y: { field: 'arm', type: 'nominal', title: null }, x: { field: 'low', type: 'quantitative', scale: { type: 'log', domain: [floor, cap], nice: false }, title: 'baseline steps / arm steps' }, x2: { field: 'high' } },
        },
        {
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 60 },
          encoding: { y: { field: 'arm', type: 'nominal' }, x: { field: 'estimate', type: 'quantitative' } },
        },
        {
          data: { values: [{ one: 1 }] },
          mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
          encoding: { x: { field: 'one', type: 'quantitative' } },
        },
      ],
    },
  }
}
