import { dirname, join } from 'node:path'
import type { RunJob } from '../job.js'
import type { RunRecord } from '../records.js'
import type { SuiteSummary } from '../summary.js'
import { ASSET_FOLDER, copyAssets } from './assets.js'
import { HEADLINE_FILE, SUITE_PAGE, suiteHeadline, writeIndexPage, type IndexOptions } from './index-page.js'
import { suitePageModel } from './model.js'
import { renderSuitePage } from './page.js'
import { writeFileWhole } from './write-file.js'
import { makeDir } from '@converge/core'

/**
 * Writes a finished suite's page (`<out>/<suite>/report.html`) and its headline, copies the chart
 * scripts to `<out>/assets/`, and rewrites `<out>/index.html`. `outDir` is the suite's folder.
 */
export function writeSuiteHtml(
  outDir: string,
  summary: SuiteSummary,
  records: readonly RunRecord[],
  tuningRecords: readonly RunRecord[],
  failures: readonly { job: RunJob; error: Error }[],
  index: IndexOptions = {},
): { page: string; index: string } {
  const out = dirname(outDir)
  const writtenAt = index.writtenAt ?? new Date().toISOString()
  makeDir(outDir, 'out')
  copyAssets(out)
  const model = suitePageModel(summary, records, tuningRecords, failures)
  const page = join(outDir, SUITE_PAGE)
  writeFileWhole(page, renderSuitePage(model, { assets: `../${ASSET_FOLDER}`, indexHref: '../index.html', generatedAt: writtenAt }))
  writeFileWhole(join(outDir, HEADLINE_FILE), `${JSON.stringify(suiteHeadline(summary, writtenAt), null, 2)}\n`)
  return { page, index: writeIndexPage(out, { ...index, writtenAt }) }
}
