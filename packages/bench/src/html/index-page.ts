import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fmtSpeedup, fmtTarget } from '../format.js'
import type { SuiteSummary } from '../summary.js'
import { verdictOf } from './model.js'
import { esc, pageShell } from './page.js'
import { writeFileWhole } from './write-file.js'
import { makeDir } from '@converge/core'

/**
 * `<out>/index.html`: every suite with a page in the folder, its headline verdicts and links. Each
 * suite page leaves a `headline.json` beside it (preformatted strings, so the index never reformats
 * numbers read back from JSON); the index is rebuilt from those whenever a suite finishes.
 */

export const HEADLINE_FILE = 'headline.json'
export const SUITE_PAGE = 'report.html'

export interface SuiteHeadline {
  readonly suite: string
  readonly description: string
  readonly size: string
  readonly target: string
  readonly seeds: number
  readonly maxSteps: number
  readonly arms: readonly { readonly arm: string; readonly baseline: boolean; readonly reached: string; readonly speedup: string; readonly verdict: string | null }[]
  readonly writtenAt: string
}

export function suiteHeadline(s: SuiteSummary, writtenAt: string): SuiteHeadline {
  return {
    suite: s.suite,
    description: s.description,
    size: s.size,
    target: fmtTarget(s),
    seeds: s.seeds.length,
    maxSteps: s.maxSteps,
    arms: s.arms.map((a) => ({ arm: a.arm, baseline: a.arm === s.baseline, reached: `${a.reached}/${a.runs}`, speedup: fmtSpeedup(a.speedup), verdict: verdictOf(a).verdict })),
    writtenAt,
  }
}

function readHeadlines(out: string): SuiteHeadline[] {
  if (!existsSync(out)) return []
  return readdirSync(out, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(out, d.name, HEADLINE_FILE)) && existsSync(join(out, d.name, SUITE_PAGE)))
    .flatMap((d) => {
      try {
        return [JSON.parse(readFileSync(join(out, d.name, HEADLINE_FILE), 'utf8')) as SuiteHeadline]
      } catch {
        return [] // a half-written headline (killed mid-write) is left for the next write
      }
    })
}

export interface IndexOptions {
  /** Suites in the order the config lists them (others follow, by name). */
  readonly order?: readonly string[]
  /** Suites of the current run not finished yet: listed as pending, and the page reloads itself every minute until none is. */
  readonly pending?: readonly string[]
  readonly writtenAt?: string
}

/** Writes `<out>/index.html` from the suite folders present now; returns its path. */
export function writeIndexPage(out: string, options: IndexOptions = {}): string {
  const order = options.order ?? []
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length)
  const headlines = readHeadlines(out).sort((a, b) => rank(a.suite) - rank(b.suite) || a.suite.localeCompare(b.suite))
  const pending = options.pending ?? []
  const rows = headlines.map((h) => {
    const arms = h.arms
      .map((a) => `<li><strong>${esc(a.arm)}</strong>${a.baseline ? ' (baseline)' : `: ${esc(a.speedup)}${a.verdict ? ` — <em>${esc(a.verdict)}</em>` : ''}`}; reached ${esc(a.reached)}</li>`)
      .join('')
    const running = pending.includes(h.suite) ? ' <em>(running again now; this is the previous result)</em>' : ''
    return `<tr><th scope="row"><a href="${esc(encodeURIComponent(h.suite))}/${SUITE_PAGE}">${esc(h.suite)}</a>${running}<br><small>${esc(h.description)}</small></th>
<td>${esc(h.size)}; ${h.seeds} seeds; ${h.maxSteps} steps</td><td>${esc(h.target)}</td><td><ul>${arms}</ul></td>
<td><a href="${esc(encodeURIComponent(h.suite))}/report.md">report.md</a><br><small>${esc(h.writtenAt)}</small></td></tr>`
  })
  const waiting = pending.filter((p) => !headlines.some((h) => h.suite === p))
  const body = `<h1>converge bench results</h1>
<p class="lead">One page per suite with interactive charts and the numbers beside them. ${pending.length ? `Still running: ${esc(pending.join(', '))}; this page reloads every minute until the run ends.` : ''}</p>
${headlines.length
    ? `<table class="index"><caption>Suites</caption><thead><tr><th scope="col">suite</th><th scope="col">size</th><th scope="col">target</th><th scope="col">speed-up over the baseline [95% CI]</th><th scope="col">files</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`
    : '<p>No suite has finished yet.</p>'}
${waiting.length ? `<p>Not finished yet: ${waiting.map(esc).join(', ')}.</p>` : ''}
<footer>Written ${esc(options.writtenAt ?? new Date().toISOString())}. Plain-text index: <a href="report.md">report.md</a> (written when the run ends).</footer>`
  makeDir(out, 'out')
  const path = join(out, 'index.html')
  writeFileWhole(path, pageShell({ title: 'converge bench results', body, assets: 'assets', ...(pending.length ? { refreshSeconds: 60 } : {}) }))
  return path
}
