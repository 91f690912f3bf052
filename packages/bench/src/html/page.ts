import { fmtTarget, fmtTuning } from '../format.js'
import { SCRIPTS } from './assets.js'
import type { SuitePageModel } from './model.js'
import { suiteCharts, type ChartSpec } from './specs.js'
import { curvesTable, designTable, forestTable, levelsTable, pairsTable, tuningTable, verdictTables, type TextTable } from './tables.js'

/** HTML of the bench pages: a suite page from its model, and the shell the index shares. */

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** JSON inside a <script> element: `<` escaped so no string can close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c')

export const STYLE = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #555; --rule: #d6d6d6; --panel: #f6f6f4; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0 auto; padding: 1.5rem 2rem 4rem; max-width: 1400px; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; margin: 2.2rem 0 .4rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
p.lead { color: var(--muted); margin: 0 0 1rem; } p.how { color: var(--muted); font-size: .9rem; margin: .2rem 0 .6rem; max-width: 75rem; }
nav a { margin-right: 1rem; }
dl.design { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; } dl.design dt { font-weight: 600; }
table { border-collapse: collapse; font-size: .85rem; margin: .3rem 0 1rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; caption-side: top; }
th, td { border-bottom: 1px solid var(--rule); padding: .2rem .55rem; text-align: left; vertical-align: top; }
th { background: var(--panel); }
.tables tbody th[scope="row"] { white-space: nowrap; }
.figure { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.chart { min-width: 300px; }
.chart .vega-bindings { display: flex; flex-wrap: wrap; gap: .2rem 1rem; font-size: .85rem; margin-top: .3rem; }
.chart .vega-bind label { cursor: pointer; }
/* a table sits beside its chart when both fit on the line, under it otherwise */
.tables { flex: 1 1 26rem; min-width: min(100%, 24rem); max-width: 100%; overflow-x: auto; }
.notes { white-space: pre-wrap; background: var(--panel); padding: .6rem .8rem; border-radius: 4px; font-size: .9rem; }
.error { color: #a40000; font-weight: 600; }
table.index ul { margin: 0; padding-left: 1.1rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
`

export function renderTable(t: TextTable): string {
  const head = `<tr>${t.header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr>`
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('\n')
  return `<table><caption>${esc(t.caption)}</caption><thead>${head}</thead><tbody>${body}</tbody></table>`
}

/** A page: shared head, styles and (when it has charts) the chart scripts and specs. */
export function pageShell(opts: { title: string; body: string; assets: string; charts?: readonly ChartSpec[]; refreshSeconds?: number }): string {
  const charts = opts.charts ?? []
  const scripts = charts.length
    ? [
        ...SCRIPTS.map((s) => `<script src="${esc(`${opts.assets}/${s}`)}"></script>`),
        `<script type="application/json" id="chart-specs">${scriptJson(charts.map((c) => ({ id: c.id, spec: c.spec })))}</script>`,
        `<script>${EMBED}</script>`,
      ].join('\n')
    : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${opts.refreshSeconds ? `<meta http-equiv="refresh" content="${opts.refreshSeconds}">\n` : ''}<title>${esc(opts.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${opts.body}
${scripts}
</body>
</html>
`
}

/**
 * Draws every chart into `#chart-<id>` with vega-embed (SVG renderer, no links out), and marks
 * each container `data-rendered="true"` (or `"error"`, with the reason in the page and the console).
 */
const EMBED = `
(function () {
  var charts = JSON.parse(document.getElementById('chart-specs').textContent);
  var options = { mode: 'vega-lite', renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } };
  window.benchViews = {};
  charts.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    vegaEmbed(el, c.spec, options).then(function (result) {
      window.benchViews[c.id] = result.view;
      el.setAttribute('data-rendered', 'true');
    }).catch(function (e) {
      el.setAttribute('data-rendered', 'error');
      el.insertAdjacentHTML('beforeend', '<p class="error">This chart could not be drawn; the table beside it has its numbers.</p>');
      console.error('chart ' + c.id + ': ' + (e && e.message ? e.message : e));
    });
  });
})();
`

const HOW: Record<string, string> = {
  curves:
    'One thin line per run (seed), styled by arm: colour, dash and marker shape differ per arm. The dashed black rule is the target. A filled marker is where a run first met the target; an open marker is the last evaluation of a run that never met it within the budget (censored); a cross marks a run that diverged. Untick an arm to hide it; click a legend entry to highlight an arm (shift-click for more); drag to pan, scroll to zoom, double-click to reset.',
  pairs:
    'Each panel pairs the baseline with one arm: a line joins the two runs of the same seed (same initialisation and data order). Filled markers reached the target; open markers at the dashed budget rule never did, so they took more than the budget.',
  forest:
    'Each row: the median paired speed-up over the baseline (a point; a triangle when censored runs leave it open, pointing the open way) and its interval (bar; an open arrowhead where it runs to 0 or ∞), on a log axis. The dashed line at 1 is no difference; an interval that crosses it cannot tell the arm from the baseline at this number of seeds.',
  levels:
    "The suite's target moved along its distance from the baseline's best: right is looser, left is stricter. Filled markers are median speed-ups, open markers bounds left open by runs that did not reach that level; vertical bars are the intervals. A speed-up that holds at one target level only is fragile.",
  tuning:
    'Every grid point on every tuning seed (disjoint from the reported seeds): the best value of the target metric each run reached within the budget, one line per tuning seed. The dashed rule is the tuning target; the ringed point is the choice.',
}

function section(id: string, title: string, how: string, chart: ChartSpec | undefined, tables: readonly TextTable[]): string {
  const figure = chart
    ? `<div class="chart" id="chart-${esc(chart.id)}" role="figure" aria-label="${esc(chart.title)}"></div>`
    : '<p class="how">(nothing to draw: see the table)</p>'
  return `<section id="${esc(id)}">
<h2>${esc(title)}</h2>
<p class="how">${esc(how)}</p>
<div class="figure">${figure}<div class="tables">${tables.map(renderTable).join('\n')}</div></div>
</section>`
}

/** The suite page: design, verdict table, then each chart beside the table of its numbers. */
export function renderSuitePage(m: SuitePageModel, opts: { assets: string; indexHref: string; generatedAt: string }): string {
  const s = m.summary
  const charts = suiteCharts(m)
  const chart = (id: string) => charts.find((c) => c.id === id)
  const backends = [...new Set(s.arms.flatMap((a) => a.backends))].join(', ')
  const design = `<dl class="design">
<dt>Task</dt><dd>${m.task ? `${esc(m.task.name)}${m.task.options ? ` (${esc(m.task.options)})` : ''}` : 'unknown'}</dd>
<dt>Target</dt><dd>${esc(fmtTarget(s))}</dd>
<dt>Seeds</dt><dd>${s.seeds.length} paired (${esc(s.seeds.join(', '))})</dd>
<dt>Budget</dt><dd>${s.maxSteps} optimizer steps per run; evaluation every ${s.evalEvery} steps</dd>
<dt>Backend</dt><dd>${esc(backends)}</dd>
${s.cost ? `<dt>Cost unit</dt><dd>${esc(s.cost.name)} = steps × ${s.cost.perStep}</dd>\n` : ''}${s.tuning.length
    ? `<dt>Tuning</dt><dd>${s.tuningSeeds} tuning seeds, against ${m.tuningTarget ? esc(`${m.tuningTarget.metric} ${m.tuningTarget.direction === 'max' ? '>=' : '<='} ${m.tuningTarget.value.toPrecision(5)} (${s.tuningTarget?.source ?? ''})`) : 'the suite target'}<br>${s.tuning.map((t) => `${esc(t.arm)}: ${esc(fmtTuning(t))}`).join('<br>')}</dd>`
    : ''}
</dl>`
  const sections = [
    ...(chart('curves') ? [section('curves', 'Learning curves', HOW.curves as string, chart('curves'), [curvesTable(m)])] : []),
    ...(m.pairs.length ? [section('pairs', 'Steps-to-target per seed pair', HOW.pairs as string, chart('pairs'), [pairsTable(m)])] : []),
    ...(m.forest.length ? [section('forest', 'Speed-up over the baseline', `${HOW.forest}${m.forest.some((r) => r.minDetectable !== null) ? ' The grey tick is the minimum detectable speed-up: the smallest true speed-up this suite would detect at its seed count.' : ''}`, chart('forest'), [forestTable(m)])] : []),
    ...(m.levels.length ? [section('levels', 'Speed-up against the target level', HOW.levels as string, chart('levels'), [levelsTable(m)])] : []),
    ...m.tuning.map((t, i) => section(`tuning-${i}`, `Tuning grid: ${t.arm}`, HOW.tuning as string, chart(`tuning-${i}`), [tuningTable(m, t)])),
  ]
  const body = `<nav><a href="${esc(opts.indexHref)}">← all suites</a><a href="report.md">report.md</a><a href="results.jsonl">results.jsonl</a><a href="summary.json">summary.json</a></nav>
<h1>${esc(s.suite)} <small>(${esc(s.size)})</small></h1>
<p class="lead">${esc(s.description)}</p>
<section id="design"><h2>Design</h2>${design}
${renderTable(designTable(m))}</section>
<section id="verdict"><h2>Verdict</h2>
${verdictTables(m).map(renderTable).join('\n')}
<p class="how">Speed-up = baseline steps / arm steps per seed pair; a run that never met the target counts as taking more than the budget (censored), never dropped. report.md explains every column.</p></section>
${sections.join('\n')}
${m.failures.length ? `<section id="failures"><h2>Failed runs</h2><ul>${m.failures.map((f) => `<li>${esc(f.arm)}, seed ${f.seed}: ${esc(f.message)}</li>`).join('')}</ul></section>` : ''}
${s.notes ? `<section id="notes"><h2>Notes</h2><div class="notes">${esc(s.notes)}</div></section>` : ''}
<footer>Written ${esc(opts.generatedAt)}. ${m.provenance ? esc(m.provenance) : ''} Every run is a line of results.jsonl.</footer>`
  return pageShell({ title: `${s.suite}: converge bench`, body, assets: opts.assets, charts })
}

