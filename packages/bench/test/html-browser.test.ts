import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SuiteSummary } from '../src/index.js'
import { suitePageModel } from '../src/html/model.js'
import { writeSuiteHtml } from '../src/html/write.js'
import { tinyBenchOutput } from './fixtures/bench-output.js'

/**
 * The bench's HTML pages in a real browser: Debian's Chromium driven by playwright-core (which
 * never downloads a browser). Every page of a small real bench output is opened from file://
 * with the network unused: no console error, no failed request, no request off the disk, every
 * chart drawn with the marks its data implies, and the arm check boxes change what is drawn.
 * A screenshot of each page is kept under test-artifacts/bench-html/.
 */

/** CONVERGE_CHROMIUM names the browser to use; otherwise Debian's and Ubuntu's paths. */
const CANDIDATES = process.env.CONVERGE_CHROMIUM ? [process.env.CONVERGE_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']
const executable = CANDIDATES.find((p) => existsSync(p))
if (!executable) {
  console.warn(`html-browser.test.ts: SKIPPED: no Chromium at ${CANDIDATES.join(', ')}; install Debian's chromium (apt-get install chromium) or set CONVERGE_CHROMIUM`)
}

const ARTIFACTS = resolve(import.meta.dirname, '../../../test-artifacts/bench-html')
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

const dirs: string[] = []
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}

/** Waits for a condition evaluated in the page (an expression: the test runs under Node's types, not the DOM's). */
const until = (page: Page, expression: string) => page.waitForFunction(expression, null, { timeout: 30_000 })

interface Opened {
  readonly page: Page
  readonly problems: string[]
}

describe.skipIf(!executable)('bench HTML pages in Chromium', () => {
  let out = ''
  let outcomes: Awaited<ReturnType<typeof tinyBenchOutput>>
  let context: BrowserContext

  beforeAll(async () => {
    out = tmp('converge-html-')
    outcomes = await tinyBenchOutput(out)
    context = await chromium.launchPersistentContext(tmp('converge-chromium-profile-'), { executablePath: executable, headless: true, args: FLAGS })
    mkdirSync(ARTIFACTS, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await context?.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  /** Opens a page from file://, recording console errors, page errors, failed requests and any request off the disk. */
  async function open(rel: string): Promise<Opened> {
    const page = await context.newPage()
    const problems: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`)
    })
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()} (${r.failure()?.errorText})`))
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) problems.push(`request off the disk: ${r.url()}`)
    })
    await page.goto(pathToFileURL(join(out, rel)).href)
    await until(page, "[...document.querySelectorAll('.chart')].every((e) => e.hasAttribute('data-rendered'))")
    return { page, problems }
  }

  const rendered = (page: Page) => page.$$eval('.chart', (els) => els.map((e) => [e.id, e.getAttribute('data-rendered')]))
  /** Drawn items of a named layer: the paths of its lines and symbols, the lines of its rules. */
  const marks = (page: Page, chart: string, layer: string) =>
    page.$$eval(`#chart-${chart} g.${layer}_marks > path, #chart-${chart} g.${layer}_marks > line`, (els) => els.filter((e) => e.tagName === 'line' || (e.getAttribute('d') ?? '') !== '').length)
  const shoot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })

  it('the tiny suite page: every chart drawn with its marks; unticking an arm removes its runs, scrolling zooms, the legend highlights', async () => {
    const { page, problems } = await open('tiny/report.html')
    expect(await rendered(page)).toEqual([
      ['chart-curves', 'true'],
      ['chart-pairs', 'true'],
      ['chart-forest', 'true'],
      ['chart-levels', 'true'],
    ])
    // 2 arms × 3 seeds: adam reaches on every seed, slow-sgd on none (censored).
    expect(await marks(page, 'curves', 'curves')).toBe(6)
    expect(await marks(page, 'curves', 'crossings')).toBe(3)
    expect(await marks(page, 'curves', 'censored')).toBe(3)
    expect(await marks(page, 'curves', 'target')).toBe(1)
    expect(await marks(page, 'pairs', 'pairlines')).toBe(3)
    expect(await marks(page, 'pairs', 'reached')).toBe(3)
    expect(await marks(page, 'pairs', 'unreached')).toBe(3)
    // slow-sgd's speed-up is an upper bound (◀) with an interval open towards 0 (an open arrowhead).
    expect(await marks(page, 'forest', 'estimate')).toBe(1)
    expect(await marks(page, 'forest', 'open_ends')).toBe(1)
    expect(await marks(page, 'forest', 'interval')).toBe(1)
    // one marker per arm and target level with a ratio: filled for a median, open for a bound
    const levels = suitePageModel(outcomes.tiny.summary!, outcomes.tiny.records).levels.filter((l) => l.estimate !== null)
    expect(levels.length).toBeGreaterThan(0)
    expect(await marks(page, 'levels', 'level_points')).toBe(levels.filter((l) => l.estimate!.kind === 'median').length)
    expect(await marks(page, 'levels', 'level_bounds')).toBe(levels.filter((l) => l.estimate!.kind !== 'median').length)
    // the text table beside the curves holds every run
    expect(await page.$$eval('#curves table tbody tr', (r) => r.length)).toBe(6)
    await shoot(page, 'tiny')

    const box = page.locator('#chart-curves input[name="show_1"]')
    await box.uncheck()
    await until(page, "document.querySelectorAll('#chart-curves g.censored_marks > path').length === 0")
    expect(await marks(page, 'curves', 'curves')).toBe(3)
    expect(await marks(page, 'curves', 'censored')).toBe(0)
    expect(await marks(page, 'curves', 'crossings')).toBe(3)
    await box.check()
    await until(page, "document.querySelectorAll('#chart-curves g.censored_marks > path').length === 3")
    expect(await marks(page, 'curves', 'curves')).toBe(6)

    // scrolling over the curves zooms in: the step axis covers less than the budget
    const span = 'window.benchViews.curves.scale("x").domain().reduce((a, b) => b - a)'
    const full = (await page.evaluate(span)) as number
    expect(full).toBeGreaterThanOrEqual(40) // the budget, with a little padding
    const plot = (await page.locator('#chart-curves svg.marks').boundingBox())!
    await page.mouse.move(plot.x + plot.width / 3, plot.y + plot.height / 3)
    await page.mouse.wheel(0, -400)
    await until(page, `${span} < ${full * 0.9}`)
    await page.dblclick('#chart-curves svg.marks', { position: { x: plot.width / 3, y: plot.height / 3 } })
    await until(page, `Math.abs(${span} - ${full}) < 1e-9`)

    // clicking an arm in the legend highlights it: the other arm's runs fade
    const faded = () => page.$$eval('#chart-curves g.curves_marks > path', (els) => els.filter((e) => Number(e.getAttribute('opacity') ?? 1) < 0.5).length)
    expect(await faded()).toBe(0)
    await page.locator('#chart-curves g.role-legend-label text', { hasText: 'slow-sgd' }).click()
    await until(page, "[...document.querySelectorAll('#chart-curves g.curves_marks > path')].filter((e) => Number(e.getAttribute('opacity') ?? 1) < 0.5).length === 3")
    expect(await faded()).toBe(3)
    expect(problems).toEqual([])
    await page.close()
  })

  it('the tuned suite page draws the tuning grid: every grid point on every tuning seed, the choice ringed', async () => {
    const { page, problems } = await open('tiny-tuned/report.html')
    const charts = await rendered(page)
    expect(charts).toContainEqual(['chart-tuning-0', 'true'])
    expect(charts.every(([, r]) => r === 'true')).toBe(true)
    // sgd's grid {1e-6, 0.5} on 2 tuning seeds; 0.5 is chosen
    expect(await marks(page, 'tuning-0', 'tuning_points')).toBe(4)
    expect(await marks(page, 'tuning-0', 'tuning_chosen')).toBe(2)
    expect(await marks(page, 'tuning-0', 'tuning_lines')).toBe(2)
    expect(await marks(page, 'curves', 'curves')).toBe(4)
    expect(await page.locator('#tuning-0 table').innerText()).toMatch(/lr=0\.5 \(chosen\)/)
    await shoot(page, 'tiny-tuned')
    expect(problems).toEqual([])
    await page.close()
  })

  it('a summary carrying verdict words and minimum detectable speed-ups draws them on the forest plot', async () => {
    const { tiny } = outcomes
    const summary = { ...tiny.summary!, arms: tiny.summary!.arms.map((a) => (a.speedup && a.verdict ? { ...a, verdict: { ...a.verdict, word: 'slower' as const, text: 'slower', minimumDetectable: { ...a.verdict.minimumDetectable, speedup: 1.7, logSpread: 0.2 } } } : a)) }
    writeSuiteHtml(join(out, 'tiny-verdicts'), summary as SuiteSummary, tiny.records, [], [])
    const { page, problems } = await open('tiny-verdicts/report.html')
    expect(await marks(page, 'forest', 'mds')).toBe(1)
    expect(await page.$$eval('#chart-forest g.verdict_marks text', (t) => t.map((e) => e.textContent))).toEqual(['slower'])
    expect(await page.locator('#forest table').innerText()).toMatch(/slower\s+1\.70x/)
    await shoot(page, 'tiny-verdicts')
    expect(problems).toEqual([])
    await page.close()
  })

  it('the index lists both suites with their headline speed-ups and links that open their pages', async () => {
    const { page, problems } = await open('index.html')
    const links = await page.$$eval('table.index a', (as) => as.map((a) => a.getAttribute('href')))
    expect(links).toEqual(expect.arrayContaining(['tiny/report.html', 'tiny-tuned/report.html', 'tiny/report.md']))
    expect(await page.locator('table.index').innerText()).toMatch(/slow-sgd: < 0\.\d+x \[0, /)
    await shoot(page, 'index')
    await page.click('a[href="tiny/report.html"]')
    await until(page, `document.querySelectorAll('.chart[data-rendered="true"]').length === 4`)
    expect(problems).toEqual([])
    await page.close()
  })
})
