import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compile, type TopLevelSpec } from 'vega-lite'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { main } from '../src/cli.js'
import { runAblation, type AblationOutcome, type ArmSummary, type SuiteSummary } from '../src/index.js'
import { fmtSpeedup } from '../src/format.js'
import { ASSET_FOLDER, SCRIPTS } from '../src/html/assets.js'
import { HEADLINE_FILE, writeIndexPage } from '../src/html/index-page.js'
import { suitePageModel, verdictOf } from '../src/html/model.js'
import { renderSuitePage } from '../src/html/page.js'
import { ARM_COLOURS, ARM_DASHES, ARM_SHAPES, lightness } from '../src/html/palette.js'
import { suiteCharts } from '../src/html/specs.js'
import { writeSuiteHtml } from '../src/html/write.js'
import { tinyBenchOutput } from './fixtures/bench-output.js'
import { tinyDivergingSuite } from './fixtures/tiny-suite.js'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'converge-html-unit-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** The summary with the verdict 'slower' and a minimum detectable speed-up of 1.7x on every non-baseline arm. */
const withVerdicts = (s: SuiteSummary): SuiteSummary => ({
  ...s,
  arms: s.arms.map((a) => (a.speedup && a.verdict ? ({ ...a, verdict: { ...a.verdict, word: 'slower', text: 'slower', minimumDetectable: { ...a.verdict.minimumDetectable, speedup: 1.7, logSpread: 0.2 } } } as ArmSummary) : a)),
})
/** The summary without verdicts (as an older summary.json reads). */
const withoutVerdicts = (s: SuiteSummary): SuiteSummary => ({ ...s, arms: s.arms.map((a) => ({ ...a, verdict: null })) })

/** Vega-Lite's warnings while compiling a spec (an empty layer, a dropped channel, a bad field...). */
function compileWarnings(spec: Record<string, unknown>): string[] {
  const warnings: string[] = []
  const logger = {
    level: () => logger,
    error: (...m: unknown[]) => (warnings.push(`error: ${m.join(' ')}`), logger),
    warn: (...m: unknown[]) => (warnings.push(m.join(' ')), logger),
    info: () => logger,
    debug: () => logger,
  }
  compile(spec as unknown as TopLevelSpec, { logger } as never)
  return warnings
}

describe('bench HTML pages (no browser)', () => {
  let out = ''
  let tiny: AblationOutcome
  let tuned: AblationOutcome

  beforeAll(async () => {
    out = tmp()
    ;({ tiny, tuned } = await tinyBenchOutput(out))
  }, 120_000)

  it('the page model holds every run, its crossing or censoring, the seed pairs and the speed-up as report.md prints it', () => {
    const m = suitePageModel(tiny.summary!, tiny.records)
    expect(m.arms).toEqual(['adam', 'slow-sgd'])
    const points = tiny.records.reduce((n, r) => n + r.result.history.length, 0)
    expect(m.curves).toHaveLength(points)
    expect(m.outcomes.filter((o) => o.kind === 'crossing').map((o) => o.arm)).toEqual(['adam', 'adam', 'adam'])
    const adam = tiny.summary!.arms[0]!
    expect(m.outcomes.filter((o) => o.kind === 'crossing').map((o) => o.step)).toEqual(adam.stepsBySeed)
    for (const o of m.outcomes.filter((x) => x.kind === 'crossing')) expect(o.value).toBeGreaterThanOrEqual(m.target.value)
    const censored = m.outcomes.filter((o) => o.kind === 'censored')
    expect(censored.map((o) => [o.arm, o.step])).toEqual([['slow-sgd', 40], ['slow-sgd', 40], ['slow-sgd', 40]])
    // a pair per seed, the censored side at the budget
    expect(m.pairs).toHaveLength(6)
    expect(m.pairs.filter((p) => p.censored).every((p) => p.arm === 'slow-sgd' && p.steps === 40)).toBe(true)
    const row = m.forest[0]!
    expect(row).toMatchObject({ arm: 'slow-sgd', drawn: true, openLow: true, openHigh: false, verdict: 'slower', minDetectable: null })
    expect(row.text).toBe(fmtSpeedup(tiny.summary!.arms[1]!.speedup))
    expect(row.estimate!.kind).toBe('upper bound (censored)')
    expect(row.low).toBe(m.forestDomain[0])
    // tuning: every grid point on every tuning seed, the choice marked
    const t = suitePageModel(tuned.summary!, tuned.records, tuned.tuningRecords).tuning[0]!
    expect(t).toMatchObject({ arm: 'sgd', key: 'lr', logX: true })
    expect(t.runs.map((r) => [r.x, r.seed, r.chosen])).toEqual([
      [1e-6, 1001, false],
      [0.5, 1001, true],
      [1e-6, 1002, false],
      [0.5, 1002, true],
    ])
  })

  it('a diverged run is kept: its outcome says where it diverged, and the page is written', async () => {
    const o = await runAblation(tinyDivergingSuite, { out: tmp(), backend: 'cpu', plots: false, sourceHash: 'html-fixture' })
    const m = suitePageModel(o.summary!, o.records)
    const diverged = m.outcomes.find((x) => x.arm === 'huge-lr')!
    expect(diverged.kind).toBe('diverged')
    expect(diverged.step).toBe(o.records.find((r) => r.arm === 'huge-lr')!.result.diverged!.step)
    for (const c of suiteCharts(m)) expect(compileWarnings(c.spec), c.id).toEqual([])
    expect(readFileSync(join(o.outDir, 'report.html'), 'utf8')).toContain(`diverged at step ${diverged.step}`)
  })

  it('every chart compiles without a Vega-Lite warning, and arms keep one colour, dash and shape across charts', () => {
    const charts = [...suiteCharts(suitePageModel(tiny.summary!, tiny.records)), ...suiteCharts(suitePageModel(tuned.summary!, tuned.records, tuned.tuningRecords))]
    expect(charts.map((c) => c.id)).toEqual(['curves', 'pairs', 'forest', 'levels', 'curves', 'pairs', 'tuning-0'])
    for (const c of charts) expect(compileWarnings(c.spec), c.id).toEqual([])
    const json = JSON.stringify(charts[0]!.spec)
    expect(json).toContain(JSON.stringify({ domain: ['adam', 'slow-sgd'], range: [ARM_COLOURS[0], ARM_COLOURS[1]] }))
    expect(json).toContain('"title":"optimizer steps"')
  })

  it('renders the verdict word and minimum detectable speed-up when the summary carries them, and leaves them out when not', () => {
    const plain = suitePageModel(withoutVerdicts(tiny.summary!), tiny.records)
    const rich = suitePageModel(withVerdicts(tiny.summary!), tiny.records)
    expect(verdictOf(withVerdicts(tiny.summary!).arms[1]!)).toEqual({ verdict: 'slower', minDetectable: 1.7 })
    expect(rich.forest[0]).toMatchObject({ verdict: 'slower', minDetectable: 1.7 })
    const layers = (m: typeof plain) => ((suiteCharts(m).find((c) => c.id === 'forest')!.spec.layer as { name: string }[]).map((l) => l.name))
    expect(layers(plain)).toEqual(['one', 'interval', 'estimate', 'open-ends'])
    expect(layers(rich)).toEqual(['one', 'interval', 'estimate', 'open-ends', 'mds', 'verdict'])
    const page = renderSuitePage(rich, { assets: '../assets', indexHref: '../index.html', generatedAt: 'now' })
    expect(page).toContain('<th scope="col">minimum detectable speed-up</th>')
    expect(page).toContain('<td>1.70x</td>')
    expect(renderSuitePage(plain, { assets: '../assets', indexHref: '../index.html', generatedAt: 'now' })).not.toContain('minimum detectable')
    // the mds widens the forest axis so its tick is drawn
    expect(rich.forestDomain[1]).toBeGreaterThanOrEqual(1.7 * 2)
  })

  it('writes pages that load nothing from the network, escape what they show, and weigh little', () => {
    const page = readFileSync(join(out, 'tiny', 'report.html'), 'utf8')
    const refs = [...page.matchAll(/(?:src|href)="([^"]*)"/g)].map((x) => x[1])
    expect(refs.filter((r) => /^(https?:)?\/\//.test(r ?? ''))).toEqual([])
    for (const s of SCRIPTS) {
      expect(page).toContain(`<script src="../${ASSET_FOLDER}/${s}"></script>`)
      expect(statSync(join(out, ASSET_FOLDER, s)).size).toBeGreaterThan(10_000)
    }
    expect(page).not.toMatch(/cdn|jsdelivr|unpkg/i)
    // a description with markup cannot break out of the page or its JSON
    const hostile = { ...tiny.summary!, description: '</script><img src=x onerror=alert(1)>', arms: tiny.summary!.arms.map((a) => ({ ...a, description: '</script>' })) }
    const dir = join(tmp(), 'tiny')
    writeSuiteHtml(dir, hostile, tiny.records, [], [])
    const html = readFileSync(join(dir, 'report.html'), 'utf8')
    expect(html).not.toContain('<img src=x')
    expect(html.match(/<\/script>/g)).toHaveLength(SCRIPTS.length + 2)
    // the whole output (pages, headlines, scripts) stays small
    const size = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? size(join(d, e.name)) : e.name.endsWith('.jsonl') ? 0 : statSync(join(d, e.name)).size), 0)
    expect(size(out)).toBeLessThan(1.5e6)
  })

  it('the index lists finished suites with their headlines and, while suites are pending, says so and reloads itself', () => {
    const idx = readFileSync(join(out, 'index.html'), 'utf8')
    expect(idx).toContain('href="tiny/report.html"')
    expect(idx).toContain('href="tiny-tuned/report.html"')
    expect(idx).toContain(fmtSpeedup(tiny.summary!.arms[1]!.speedup).replace(/</g, '&lt;'))
    expect(idx).not.toContain('http-equiv="refresh"')
    writeIndexPage(out, { order: ['tiny-tuned', 'tiny', 'later'], pending: ['later'] })
    const watching = readFileSync(join(out, 'index.html'), 'utf8')
    expect(watching).toContain('<meta http-equiv="refresh" content="60">')
    expect(watching).toContain('Not finished yet: later.')
    expect(watching.indexOf('tiny-tuned/report.html')).toBeLessThan(watching.indexOf('"tiny/report.html"'))
    // a headline cut off mid-write is skipped, not fatal
    writeFileSync(join(out, 'tiny', HEADLINE_FILE), '{"suite": "ti')
    expect(readFileSync(writeIndexPage(out), 'utf8')).not.toContain('href="tiny/report.html"')
    expect(existsSync(join(out, 'tiny', 'report.html'))).toBe(true)
  })
})

describe('converge-bench CLI', () => {
  it('keeps index.html saying which suites are still running while it runs, and a plain index once done', async () => {
    const out = tmp()
    const seen = new Set<string>()
    const watch = setInterval(() => {
      const path = join(out, 'index.html')
      if (existsSync(path)) seen.add(readFileSync(path, 'utf8').match(/Still running: [^;]*/)?.[0] ?? 'finished')
    }, 20)
    const quiet = [vi.spyOn(console, 'log').mockImplementation(() => {}), vi.spyOn(console, 'error').mockImplementation(() => {})]
    let code: number
    try {
      code = await main(['--config', join(import.meta.dirname, 'fixtures', 'tiny.config.ts'), '--backend', 'cpu', '--jobs', '1', '--seeds', '2', '--out', out])
    } finally {
      clearInterval(watch)
      for (const q of quiet) q.mockRestore()
    }
    expect(code).toBe(0)
    expect(seen).toContain('Still running: tiny, tiny-tuned')
    expect(seen).toContain('Still running: tiny-tuned')
    const idx = readFileSync(join(out, 'index.html'), 'utf8')
    expect(idx).not.toContain('http-equiv="refresh"')
    expect(idx).toContain('href="tiny/report.html"')
    expect(idx).toContain('href="tiny-tuned/report.html"')
    for (const f of ['tiny/report.html', 'tiny-tuned/report.html', 'tiny/report.md', 'report.md', `${ASSET_FOLDER}/vega.min.js`]) expect(existsSync(join(out, f)), f).toBe(true)
  }, 180_000)
})

describe('arm styles', () => {
  it('neighbouring arm colours differ in greyscale lightness, and dash and shape differ for every arm', () => {
    for (let i = 1; i < ARM_COLOURS.length; i++) expect(Math.abs(lightness(ARM_COLOURS[i]!) - lightness(ARM_COLOURS[i - 1]!))).toBeGreaterThanOrEqual(10)
    // the first four (most suites) are pairwise apart
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) expect(Math.abs(lightness(ARM_COLOURS[i]!) - lightness(ARM_COLOURS[j]!))).toBeGreaterThanOrEqual(10)
    expect(new Set(ARM_DASHES.map((d) => d.join(','))).size).toBe(ARM_DASHES.length)
    expect(new Set(ARM_SHAPES).size).toBe(ARM_SHAPES.length)
    expect(lightness('#000000')).toBeCloseTo(0)
    expect(lightness('#ffffff')).toBeCloseTo(100)
  })
})
