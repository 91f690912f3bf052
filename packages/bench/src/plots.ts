import * as vega from 'vega'
import { compile, type TopLevelSpec } from 'vega-lite'
import type { RunRecord } from './records.js'
import { median } from './stats.js'
import type { SuitePlot } from '@converge/core/suite'
import type { SuiteSummary } from './summary.js'
import type { SpeedupEstimate } from './paired-ratio.js'

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

/** Where a speed-up estimate is drawn and how: a point, or a bound pointing the way it is open. */
function estimateMark(e: SpeedupEstimate): { x: number; kind: string } | null {
  if (e.estimateLow === e.estimateHigh) return { x: e.estimateLow, kind: 'median' }
  if (e.estimateLow === 0 && Number.isFinite(e.estimateHigh)) return { x: e.estimateHigh, kind: 'upper bound (censored)' }
  if (!Number.isFinite(e.estimateHigh) && e.estimateLow > 0) return { x: e.estimateLow, kind: 'lower bound (censored)' }
  return null
}

const SHAPES = { domain: ['median', 'upper bound (censored)', 'lower bound (censored)'], range: ['circle', 'triangle-left', 'triangle-right'] }

/**
 * Paired speed-up over the baseline per arm with its CI, on a log axis. A median left open by
 * censored runs is drawn as a triangle pointing the way it is open (◀ "less than", ▶ "more
 * than"); a CI end at 0 or ∞ is drawn as an open arrowhead at the axis end. Arms below the
 * minimum of informative pairs are not drawn.
 */
export function speedupPlot(summary: SuiteSummary): SuitePlot {
  const arms = summary.arms.filter((a) => a.speedup && a.speedup.enough)
  const finite = arms
    .flatMap((a) => [a.speedup!.estimateLow, a.speedup!.estimateHigh, a.speedup!.low, a.speedup!.high])
    .filter((v) => Number.isFinite(v) && v > 0)
  const floor = finite.length ? Math.min(...finite, 1) / 2 : 0.5
  const cap = finite.length ? Math.max(...finite, 1) * 2 : 2
  const clamp = (v: number) => (v === 0 ? floor : Number.isFinite(v) ? v : cap)
  const rows = arms.map((a) => ({ arm: a.arm, low: clamp(a.speedup!.low), high: clamp(a.speedup!.high) }))
  const points = arms.flatMap((a) => {
    const m = estimateMark(a.speedup!)
    return m ? [{ arm: a.arm, x: clamp(m.x), kind: m.kind }] : []
  })
  const arrows = arms.flatMap((a) => [
    ...(a.speedup!.low === 0 ? [{ arm: a.arm, x: floor, shape: 'triangle-left' }] : []),
    ...(!Number.isFinite(a.speedup!.high) ? [{ arm: a.arm, x: cap, shape: 'triangle-right' }] : []),
  ])
  const xScale = { type: 'log', domain: [floor, cap], nice: false }
  return {
    name: 'speedup',
    title: 'speed-up over the baseline with its confidence interval',
    spec: {
      title: `${summary.suite}: steps-to-target speed-up over "${summary.baseline}" (CI; open arrowheads: the interval runs to 0 or ∞)`,
      width: 480,
      height: Math.max(80, 32 * rows.length),
      layer: [
        {
          data: { values: rows },
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { y: { field: 'arm', type: 'nominal', title: null }, x: { field: 'low', type: 'quantitative', scale: xScale, title: 'baseline steps / arm steps' }, x2: { field: 'high' } },
        },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 90 },
          encoding: {
            y: { field: 'arm', type: 'nominal' },
            x: { field: 'x', type: 'quantitative', scale: xScale },
            shape: { field: 'kind', type: 'nominal', scale: SHAPES, title: 'median speed-up' },
          },
        },
        {
          data: { values: arrows },
          mark: { type: 'point', filled: false, size: 110, strokeWidth: 1.5 },
          encoding: { y: { field: 'arm', type: 'nominal' }, x: { field: 'x', type: 'quantitative', scale: xScale }, shape: { field: 'shape', type: 'nominal', scale: null, legend: null } },
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

/** Median speed-up per arm against how far the target sits from the baseline's best (the suite's distance = 1). */
export function marginPlot(summary: SuiteSummary): SuitePlot {
  const rows = summary.targetLevels.flatMap((l) =>
    l.arms.flatMap((a) => {
      if (!a.speedup || !a.speedup.enough) return []
      const m = estimateMark(a.speedup)
      return m && m.x > 0 && Number.isFinite(m.x) ? [{ arm: a.arm, gap: l.gapScale, speedup: m.x, kind: m.kind }] : []
    }),
  )
  const x = { field: 'gap', type: 'quantitative', scale: { type: 'log' }, title: "target's distance from the baseline's best (suite target = 1)" }
  return {
    name: 'target-levels',
    title: 'speed-up against the target level',
    spec: {
      title: `${summary.suite}: median speed-up at looser (right) and stricter (left) targets`,
      width: 360,
      height: 200,
      layer: [
        {
          data: { values: rows },
          mark: { type: 'line' },
          encoding: { x, y: { field: 'speedup', type: 'quantitative', scale: { type: 'log' }, title: 'median speed-up' }, color: { field: 'arm', type: 'nominal' } },
        },
        {
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 60 },
          encoding: { x, y: { field: 'speedup', type: 'quantitative' }, color: { field: 'arm', type: 'nominal' }, shape: { field: 'kind', type: 'nominal', scale: SHAPES, title: 'median speed-up' } },
        },
        {
          data: { values: [{ one: 1 }] },
          mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
          encoding: { y: { field: 'one', type: 'quantitative' } },
        },
      ],
    },
  }
}

/**
 * Forest plot: one row per arm with its estimate and interval (log axis), its minimum detectable
 * speed-up X as a hollow diamond (and 1/X: the slow-down it could have detected), the verdict, the
 * interval used, and how many pairs were censored. Arms below the minimum of informative pairs get
 * a row with their verdict only.
 */
export function forestPlot(summary: SuiteSummary): SuitePlot {
  const arms = summary.arms.filter((a) => a.speedup && a.verdict)
  const drawn = arms.filter((a) => a.speedup!.enough)
  const mds = arms.map((a) => a.verdict!.minimumDetectable.speedup).filter((x): x is number => x !== null && Number.isFinite(x))
  const finite = [
    ...drawn.flatMap((a) => [a.speedup!.estimateLow, a.speedup!.estimateHigh, a.speedup!.low, a.speedup!.high]),
    ...mds,
    ...mds.map((x) => 1 / x),
  ].filter((v) => Number.isFinite(v) && v > 0)
  const floor = finite.length ? Math.min(...finite, 1) / 1.5 : 0.5
  const cap = finite.length ? Math.max(...finite, 1) * 1.5 : 2
  const clamp = (v: number) => (v === 0 ? floor : Number.isFinite(v) ? Math.min(cap, Math.max(floor, v)) : cap)
  // The row label carries the verdict, the interval used and the censoring, so nothing is clipped.
  const label = (a: (typeof arms)[number]) => {
    const e = a.speedup!
    const censored = e.censored + e.uninformative
    const how = e.enough ? (e.method === 'signed-rank' ? 'signed-rank' : 'sign test') : 'no interval'
    return `${a.arm}: ${a.verdict!.word}; ${how}; ${censored ? `${censored} of ${e.n + e.uninformative} pairs censored` : 'no censoring'}`
  }
  const rows = drawn.map((a) => ({ arm: label(a), low: clamp(a.speedup!.low), high: clamp(a.speedup!.high) }))
  const points = drawn.flatMap((a) => {
    const m = estimateMark(a.speedup!)
    return m ? [{ arm: label(a), x: clamp(m.x), kind: m.kind }] : []
  })
  const detectable = arms.flatMap((a) => {
    const x = a.verdict!.minimumDetectable.speedup
    return x === null ? [] : [{ arm: label(a), x: clamp(x), side: 'speed-up' }, { arm: label(a), x: clamp(1 / x), side: 'slow-down' }]
  })
  const arrows = drawn.flatMap((a) => [
    ...(a.speedup!.low === 0 ? [{ arm: label(a), x: floor, shape: 'triangle-left' }] : []),
    ...(!Number.isFinite(a.speedup!.high) ? [{ arm: label(a), x: cap, shape: 'triangle-right' }] : []),
  ])
  const xScale = { type: 'log', domain: [floor, cap], nice: false }
  const y = { field: 'arm', type: 'nominal', title: null, sort: arms.map(label), axis: { labelLimit: 480 } }
  return {
    name: 'forest',
    title: 'forest plot: speed-up, interval, minimum detectable speed-up and verdict per arm',
    spec: {
      title: `${summary.suite}: speed-up over "${summary.baseline}" (line: CI; ◇: detectable at 80% power, speed-up and slow-down)`,
      width: 420,
      height: Math.max(80, 36 * arms.length),
      layer: [
        {
          data: { values: rows },
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { y, x: { field: 'low', type: 'quantitative', scale: xScale, title: 'baseline steps / arm steps' }, x2: { field: 'high' } },
        },
        {
          data: { values: points },
          mark: { type: 'point', filled: true, size: 90 },
          encoding: { y, x: { field: 'x', type: 'quantitative', scale: xScale }, shape: { field: 'kind', type: 'nominal', scale: SHAPES, title: 'estimate' } },
        },
        {
          data: { values: detectable },
          mark: { type: 'point', shape: 'diamond', filled: false, size: 70, color: 'gray' },
          encoding: { y, x: { field: 'x', type: 'quantitative', scale: xScale } },
        },
        {
          data: { values: arrows },
          mark: { type: 'point', filled: false, size: 110, strokeWidth: 1.5 },
          encoding: { y, x: { field: 'x', type: 'quantitative', scale: xScale }, shape: { field: 'shape', type: 'nominal', scale: null, legend: null } },
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
