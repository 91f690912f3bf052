import { CI_LEVEL } from '../paired-ratio.js'
import { armScales } from './palette.js'
import type { SuitePageModel, TuningChart } from './model.js'

/**
 * The interactive charts of a suite page as Vega-Lite specs, built from the page model. Each spec
 * names its layers (`name`), so the drawn marks carry a stable class (`<name>_marks`) that the
 * browser tests count. Formatted numbers come from the model (format.ts), never recomputed here.
 */

export interface ChartSpec {
  /** Element id on the page, and the prefix of the chart's screenshot in tests. */
  readonly id: string
  readonly title: string
  readonly spec: Record<string, unknown>
}

type Spec = Record<string, unknown>

const STEP_AXIS = { title: 'optimizer steps' }
const SPEEDUP_TITLE = 'speed-up (baseline steps / arm steps, ×)'
const directionWord = (d: 'min' | 'max') => (d === 'max' ? 'higher is better' : 'lower is better')

/** Encodings that tell arms apart (colour, dash, shape: distinct in greyscale too), with one merged legend. */
function armEncodings(arms: readonly string[], field = 'arm') {
  const s = armScales(arms)
  return {
    color: { field, type: 'nominal', scale: s.color, title: 'arm' },
    strokeDash: { field, type: 'nominal', scale: s.strokeDash, title: 'arm' },
    shape: { field, type: 'nominal', scale: s.shape, title: 'arm' },
  }
}

/** Check-box params that show or hide each arm (named `show_<i>`), and the filter they drive. */
export function armToggles(arms: readonly string[]): { params: Spec[]; filter: string } {
  return {
    params: arms.map((a, i) => ({ name: `show_${i}`, value: true, bind: { input: 'checkbox', name: `${a} ` } })),
    filter: arms.map((a, i) => `(datum.arm === ${JSON.stringify(a)} && show_${i})`).join(' || ') || 'true',
  }
}

/**
 * Every run's metric against steps: one thin line per seed, styled by arm; the target as a dashed
 * rule; each run's first crossing a filled marker, a run that never reached (censored) an open
 * marker at its last evaluation, a diverged run a cross. Check boxes hide arms; clicking the legend
 * highlights one (shift-click adds); drag to pan, scroll to zoom, double-click to reset.
 */
export function curvesSpec(m: SuitePageModel): ChartSpec {
  const enc = armEncodings(m.arms)
  const toggles = armToggles(m.arms)
  // padding: markers at step 0 and at the budget are drawn whole
  const x = { field: 'step', type: 'quantitative', axis: STEP_AXIS, scale: { domain: [0, m.summary.maxSteps], padding: 8 } }
  const y = { field: 'value', type: 'quantitative', title: `held-out ${m.metric} (${directionWord(m.direction)})`, scale: { zero: false } }
  const highlight = { condition: { param: 'pick', value: 0.95, empty: true }, value: 0.12 }
  const tooltip = [
    { field: 'arm', type: 'nominal' },
    { field: 'seed', type: 'ordinal' },
    { field: 'step', type: 'quantitative', title: 'step' },
    { field: 'value', type: 'quantitative', title: m.metric, format: '.4~g' },
  ]
  // A layer without data would warn (an empty extent): a kind no run ended in gets no layer.
  const outcome = (name: string, kind: string, mark: Spec, shape: Spec): Spec[] => {
    const values = m.outcomes.filter((o) => o.kind === kind && o.value !== null)
    return values.length ? [outcomeLayer(name, values, mark, shape)] : []
  }
  const outcomeLayer = (name: string, values: readonly unknown[], mark: Spec, shape: Spec) => ({
    name,
    data: { values },
    transform: [{ filter: toggles.filter }],
    mark: { type: 'point', size: 70, strokeWidth: 1.8, clip: true, ...mark },
    encoding: { x, y, color: enc.color, shape, opacity: highlight, tooltip: [...tooltip.slice(0, 3), { field: 'kind', title: 'outcome' }, ...tooltip.slice(3)] },
  })
  return {
    id: 'curves',
    title: `Learning curves: held-out ${m.metric} of every run`,
    spec: {
      description: `Held-out ${m.metric} against optimizer steps for every run of every arm, the target ${m.target.value} as a dashed rule, first crossings filled, runs that never reached it as open markers.`,
      width: 540,
      height: 320,
      config: { legend: { orient: 'bottom', direction: 'horizontal', columns: 4 } },
      params: toggles.params,
      layer: [
        {
          name: 'curves',
          data: { values: m.curves },
          transform: [{ filter: toggles.filter }],
          params: [
            { name: 'zoom', select: { type: 'interval', encodings: ['x', 'y'] }, bind: 'scales' },
            { name: 'pick', select: { type: 'point', fields: ['arm'] }, bind: 'legend' },
          ],
          mark: { type: 'line', strokeWidth: 1.3, clip: true },
          encoding: { x, y, color: enc.color, strokeDash: enc.strokeDash, detail: { field: 'seed', type: 'nominal' }, opacity: highlight, tooltip },
        },
        {
          name: 'target',
          data: { values: [{ target: m.target.value }] },
          mark: { type: 'rule', strokeDash: [5, 4], color: 'black', strokeWidth: 1.5 },
          encoding: { y: { field: 'target', type: 'quantitative' }, tooltip: [{ field: 'target', title: `target ${m.metric}`, format: '.4~g' }] },
        },
        ...outcome('crossings', 'crossing', { filled: true }, enc.shape),
        ...outcome('censored', 'censored', { filled: false, fill: 'white' }, enc.shape),
        ...outcome('diverged', 'diverged', { filled: false, shape: 'cross', size: 110 }, { value: 'cross' }),
      ],
    },
  }
}

/**
 * Steps-to-target per seed pair: a panel per arm, the baseline on the left and the arm on the
 * right, a line joining each seed's pair. A run that did not reach the target is an open marker at
 * the budget (the dashed rule): it took more than the budget.
 */
export function pairsSpec(m: SuitePageModel): ChartSpec {
  const s = armScales(m.arms)
  const y = { field: 'steps', type: 'quantitative', title: 'steps to target (optimizer steps)', scale: { domain: [0, m.summary.maxSteps] } }
  const x = { field: 'arm', type: 'nominal', title: null, sort: [m.summary.baseline, ...m.arms.filter((a) => a !== m.summary.baseline)], axis: { labelAngle: 0 } }
  const tooltip = [
    { field: 'arm', type: 'nominal' },
    { field: 'seed', type: 'ordinal' },
    { field: 'label', title: 'steps to target' },
  ]
  const values = m.pairs.map((p) => ({ ...p, label: p.censored ? `not reached in ${p.budget}` : String(p.steps) }))
  const point = (name: string, censored: boolean) => ({
    name,
    transform: [{ filter: `${censored ? '' : '!'}datum.censored` }],
    mark: { type: 'point', size: 80, strokeWidth: 1.8, filled: !censored, ...(censored ? { fill: 'white' } : {}) },
    encoding: {
      x,
      y,
      color: { field: 'arm', type: 'nominal', scale: s.color, title: 'arm' },
      shape: { field: 'arm', type: 'nominal', scale: s.shape, title: 'arm' },
      tooltip,
    },
  })
  return {
    id: 'pairs',
    title: 'Steps-to-target per seed pair',
    spec: {
      description: `Steps to reach the target for each seed, baseline beside each arm, joined per seed; runs that never reached it are open markers at the budget of ${m.summary.maxSteps} steps.`,
      data: { values },
      // panels wrap four to a row, so a suite with many arms stays within the page
      facet: { field: 'compared', type: 'nominal', title: `each arm against the baseline "${m.summary.baseline}"`, sort: m.arms },
      columns: 4,
      spec: {
        width: 150,
        height: 260,
        layer: [
          {
            name: 'pairlines',
            mark: { type: 'line', color: '#777', strokeWidth: 1 },
            encoding: { x, y, detail: { field: 'seed', type: 'nominal' }, tooltip },
          },
          {
            name: 'budget',
            transform: [{ aggregate: [{ op: 'max', field: 'budget', as: 'budget' }] }],
            mark: { type: 'rule', strokeDash: [5, 4], color: 'black' },
            encoding: { y: { field: 'budget', type: 'quantitative' }, tooltip: [{ field: 'budget', title: 'budget (steps)' }] },
          },
          point('reached', false),
          point('unreached', true),
        ],
      },
      resolve: { scale: { x: 'independent' } },
    },
  }
}

const estimateShapes = { domain: ['median', 'upper bound (censored)', 'lower bound (censored)'], range: ['circle', 'triangle-left', 'triangle-right'] }

/**
 * Forest plot: each arm's paired speed-up over the baseline on a log axis, its interval as a bar
 * (an open arrowhead where it runs to 0 or ∞), the estimate as a point or, when censored runs
 * leave it open, a triangle pointing the open way; the minimum detectable speed-up as a grey tick
 * and the verdict word beside the row, when the summary carries them.
 */
export function forestSpec(m: SuitePageModel): ChartSpec {
  const rows = m.forest.filter((r) => r.drawn)
  const [floor, cap] = m.forestDomain
  const scale = { type: 'log', domain: [floor, cap], nice: false }
  const y = { field: 'arm', type: 'nominal', title: null, sort: m.arms }
  const tooltip = [{ field: 'arm' }, { field: 'text', title: `speed-up [${CI_LEVEL * 100}% CI]` }, { field: 'verdict', title: 'verdict' }]
  const hasMds = rows.some((r) => r.minDetectable !== null)
  const hasVerdict = rows.some((r) => r.verdict !== null)
  const values = rows.map((r) => ({ ...r, x: r.estimate?.x ?? null, kind: r.estimate?.kind ?? null, verdict: r.verdict ?? '' }))
  const layer: Spec[] = [
    {
      name: 'one',
      data: { values: [{ one: 1 }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: '#555' },
      encoding: { x: { field: 'one', type: 'quantitative', scale } },
    },
    {
      name: 'interval',
      data: { values },
      mark: { type: 'rule', strokeWidth: 2.5, color: '#333' },
      encoding: { y, x: { field: 'low', type: 'quantitative', scale, title: SPEEDUP_TITLE, axis: { format: '~g' } }, x2: { field: 'high' }, tooltip },
    },
    {
      name: 'estimate',
      data: { values },
      transform: [{ filter: 'datum.x !== null' }],
      mark: { type: 'point', filled: true, size: 110, color: '#111' },
      encoding: { y, x: { field: 'x', type: 'quantitative', scale }, shape: { field: 'kind', type: 'nominal', scale: estimateShapes, title: 'estimate' }, tooltip },
    },
    {
      name: 'open-ends',
      data: { values: rows.flatMap((r) => [...(r.openLow ? [{ arm: r.arm, x: floor, shape: 'triangle-left' }] : []), ...(r.openHigh ? [{ arm: r.arm, x: cap, shape: 'triangle-right' }] : [])]) },
      mark: { type: 'point', filled: false, size: 120, strokeWidth: 1.5, color: '#111' },
      encoding: { y, x: { field: 'x', type: 'quantitative', scale }, shape: { field: 'shape', type: 'nominal', scale: null, legend: null } },
    },
  ]
  if (hasMds) {
    layer.push({
      name: 'mds',
      data: { values: values.filter((r) => r.minDetectable !== null) },
      mark: { type: 'tick', thickness: 3, color: '#888', size: 18 },
      encoding: { y, x: { field: 'minDetectable', type: 'quantitative', scale }, tooltip: [{ field: 'arm' }, { field: 'minDetectable', title: 'minimum detectable speed-up', format: '.2f' }] },
    })
  }
  if (hasVerdict) {
    layer.push({
      name: 'verdict',
      data: { values },
      // at the right end of the row, just above its bar: no room outside the plot needed
      mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -6, fontStyle: 'italic' },
      encoding: { y, x: { datum: cap, type: 'quantitative', scale }, text: { field: 'verdict' } },
    })
  }
  return {
    id: 'forest',
    title: 'Speed-up over the baseline, with intervals',
    spec: {
      description: `Paired steps-to-target speed-up of each arm over "${m.summary.baseline}" with its ${CI_LEVEL * 100}% interval on a log axis; 1 means no difference.`,
      width: 460,
      height: Math.max(70, (hasVerdict ? 44 : 34) * rows.length),
      layer,
    },
  }
}

/** Median speed-up of each arm against how far the target sits from the baseline's best (the suite's target = 1), with its interval. */
export function levelsSpec(m: SuitePageModel): ChartSpec {
  const enc = armEncodings(m.arms)
  const drawn = m.levels.filter((l) => l.estimate !== null).map((l) => ({ ...l, x: l.estimate?.x, kind: l.estimate?.kind }))
  const bars = drawn.filter((l) => l.low !== null && l.high !== null)
  const gaps = [...new Set(m.levels.map((l) => l.gapScale))].sort((a, b) => a - b)
  const x = {
    field: 'gapScale',
    type: 'quantitative',
    scale: { type: 'log', nice: false, domain: [(gaps[0] ?? 1) / 1.25, (gaps.at(-1) ?? 1) * 1.25] },
    title: "target's distance from the baseline's best (suite target = 1; larger is looser)",
    axis: { values: gaps, format: '~g', grid: false },
  }
  const ys = [1, ...drawn.flatMap((l) => [l.x, l.low, l.high])].filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0)
  const yScale = { type: 'log', nice: false, domain: [Math.min(...ys) / 1.25, Math.max(...ys) * 1.25] }
  const tooltip = [{ field: 'arm' }, { field: 'gapScale', title: 'distance (× suite target)' }, { field: 'target', title: `target ${m.metric}`, format: '.4~g' }, { field: 'text', title: 'speed-up' }, { field: 'kind', title: 'drawn point' }]
  return {
    id: 'levels',
    title: 'Speed-up against the target level',
    spec: {
      description: 'Median speed-up of each arm at looser and stricter targets than the suite target, on log axes; a speed-up that holds at one level only is fragile.',
      width: 420,
      height: 240,
      layer: [
        { name: 'one', data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#555' }, encoding: { y: { field: 'one', type: 'quantitative', scale: yScale } } },
        ...(bars.length ? [{
          name: 'level-intervals',
          data: { values: bars },
          mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.6 },
          encoding: { x, y: { field: 'low', type: 'quantitative', scale: yScale }, y2: { field: 'high' }, color: enc.color, strokeDash: enc.strokeDash, tooltip },
        }] : []),
        {
          name: 'level-lines',
          data: { values: drawn },
          mark: { type: 'line', strokeWidth: 2 },
          encoding: { x, y: { field: 'x', type: 'quantitative', scale: yScale, title: `median ${SPEEDUP_TITLE}`, axis: { format: '~g' } }, color: enc.color, strokeDash: enc.strokeDash, tooltip },
        },
        // a median is a filled marker; a bound left open by censored runs an open one
        ...[true, false].flatMap((median) => {
          const values = drawn.filter((l) => (l.kind === 'median') === median)
          return values.length
            ? [{
                name: median ? 'level-points' : 'level-bounds',
                data: { values },
                mark: { type: 'point', filled: median, size: 70, strokeWidth: 1.8, ...(median ? {} : { fill: 'white' }) },
                encoding: { x, y: { field: 'x', type: 'quantitative', scale: yScale }, color: enc.color, shape: enc.shape, tooltip },
              }]
            : []
        }),
      ],
    },
  }
}

/** One tuned arm's grid: best value of the target metric per grid point, a line per tuning seed, the chosen point ringed. */
export function tuningSpec(m: SuitePageModel, t: TuningChart, index: number): ChartSpec {
  const grid = t.points.flatMap((p) => (p.x === null ? [] : [p.x]))
  // Ticks at the grid's own values only: a log axis over decades is otherwise a thicket of lines.
  const x = t.key
    ? { field: 'x', type: 'quantitative', title: t.key, scale: t.logX ? { type: 'log' } : { zero: false }, axis: { values: grid, format: '~g', grid: false } }
    : { field: 'hp', type: 'ordinal', title: 'hyperparameters', sort: t.points.map((p) => p.hp) }
  const colour = armScales(m.arms).color.range[m.arms.indexOf(t.arm)] ?? '#333'
  const y = { field: 'best', type: 'quantitative', title: `best held-out ${m.metric} within ${m.summary.maxSteps} steps (${directionWord(m.direction)})`, scale: { zero: false } }
  const seedDomain = [...new Set(t.runs.map((r) => r.seed))].map(String)
  const seed = { field: 'seedName', type: 'nominal', title: 'tuning seed' }
  const s = armScales(seedDomain)
  const values = t.runs.filter((r) => r.best !== null).map((r) => ({ ...r, seedName: String(r.seed), stepsText: r.steps === null ? `not reached in ${m.summary.maxSteps}` : String(r.steps) }))
  const tooltip = [{ field: 'hp', title: 'hyperparameters' }, { field: 'seedName', title: 'tuning seed' }, { field: 'best', title: `best ${m.metric}`, format: '.4~g' }, { field: 'stepsText', title: 'steps to the tuning target' }]
  const target = m.tuningTarget ?? m.target
  return {
    id: `tuning-${index}`,
    title: `Tuning grid of "${t.arm}"`,
    spec: {
      description: `Best held-out ${m.metric} of every tuning run of arm ${t.arm} at each grid point, one line per tuning seed; the chosen point is ringed.`,
      width: 380,
      height: 240,
      layer: [
        {
          name: 'tuning-target',
          data: { values: [{ target: target.value }] },
          mark: { type: 'rule', strokeDash: [5, 4], color: 'black' },
          encoding: { y: { field: 'target', type: 'quantitative' }, tooltip: [{ field: 'target', title: 'tuning target', format: '.4~g' }] },
        },
        {
          name: 'tuning-lines',
          data: { values },
          mark: { type: 'line', strokeWidth: 1.5, color: colour },
          encoding: { x, y, detail: seed, strokeDash: { ...seed, scale: s.strokeDash }, tooltip },
        },
        {
          name: 'tuning-points',
          data: { values },
          mark: { type: 'point', filled: true, size: 60, color: colour },
          encoding: { x, y, shape: { ...seed, scale: s.shape }, tooltip },
        },
        {
          name: 'tuning-chosen',
          data: { values: values.filter((r) => r.chosen).map((r) => ({ ...r, chosenLabel: 'chosen' })) },
          mark: { type: 'point', filled: false, size: 320, strokeWidth: 2, color: '#000', shape: 'circle' },
          encoding: { x, y, tooltip: [{ field: 'chosenLabel', title: 'choice' }, ...tooltip] },
        },
      ],
    },
  }
}

/** Every chart of a suite page, in page order; a chart without data is left out. */
export function suiteCharts(m: SuitePageModel): ChartSpec[] {
  return [
    ...(m.curves.length ? [curvesSpec(m)] : []),
    ...(m.pairs.length ? [pairsSpec(m)] : []),
    ...(m.forest.some((r) => r.drawn) ? [forestSpec(m)] : []),
    ...(m.levels.some((l) => l.estimate !== null) ? [levelsSpec(m)] : []),
    ...m.tuning.flatMap((t, i) => (t.runs.some((r) => r.best !== null) ? [tuningSpec(m, t, i)] : [])),
  ]
}
