import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, type BackendName } from '@converge/core'
import { InProcessExecutor, type Executor } from './executor.js'
import { metricPlot, renderSvg, speedupPlot } from './plots.js'
import { appendRecord, readRecords, type RunRecord } from './records.js'
import { renderSuiteMarkdown } from './report-markdown.js'
import { armConfigHash, type RunJob } from './run-one.js'
import type { BenchSize, BenchSuite, SuitePlot } from '@converge/core/suite'
import { summarise, type SuiteSummary } from './summary.js'

export type BenchEvent =
  | { type: 'suite-start'; suite: string; total: number; done: number; maxSteps: number }
  | { type: 'run-start'; job: RunJob }
  | { type: 'run-progress'; job: RunJob; step: number }
  | { type: 'run-done'; job: RunJob; record: RunRecord }
  | { type: 'run-failed'; job: RunJob; error: Error }
  | { type: 'suite-done'; suite: string; summary: SuiteSummary | null; outDir: string }

export interface AblationOptions {
  readonly size?: BenchSize
  /** Paired seeds 1..seeds (default: the suite's size config). */
  readonly seeds?: number
  /** Arms to run (the baseline is always included). Default: all. */
  readonly arms?: readonly string[]
  readonly maxSteps?: number
  readonly evalEvery?: number
  readonly backend?: BackendName
  readonly tunedWasm?: boolean
  /** Output root; the suite writes to `<out>/<suite>/`. */
  readonly out?: string
  /** Runs jobs (default: one at a time in this process). */
  readonly executor?: Executor
  readonly onEvent?: (e: BenchEvent) => void
  /** Render SVG plots (default true). */
  readonly plots?: boolean
  readonly bootstrapResamples?: number
}

export interface AblationOutcome {
  readonly summary: SuiteSummary | null
  /** Completed runs under the current settings (earlier runs resumed included). */
  readonly records: readonly RunRecord[]
  readonly failures: readonly { job: RunJob; error: Error }[]
  readonly outDir: string
}

/** The jobs of a suite under the given options, each with its settings hash. */
export function planJobs(suite: BenchSuite, options: AblationOptions): RunJob[] {
  const size = options.size ?? 'quick'
  const cfg = suite.sizes[size]
  const seeds = options.seeds ?? cfg.seeds
  const maxSteps = options.maxSteps ?? cfg.maxSteps
  const evalEvery = options.evalEvery ?? cfg.evalEvery
  const backend = options.backend ?? 'auto'
  const tunedWasm = options.tunedWasm ?? true
  const unknown = (options.arms ?? []).filter((a) => !suite.arms.some((x) => x.name === a))
  if (unknown.length) {
    throw new ConfigError(`suite "${suite.name}" has no arm ${unknown.map((a) => `"${a}"`).join(', ')} (arms: ${suite.arms.map((a) => a.name).join(', ')})`)
  }
  const wanted = new Set([suite.baseline, ...(options.arms ?? suite.arms.map((a) => a.name))])
  const jobs: RunJob[] = []
  for (const arm of suite.arms.filter((a) => wanted.has(a.name))) {
    const hash = armConfigHash(suite, arm, { size, maxSteps, evalEvery, backend, tunedWasm })
    for (let seed = 1; seed <= seeds; seed++) {
      jobs.push({ suite: suite.name, arm: arm.name, seed, size, maxSteps, evalEvery, backend, tunedWasm, configHash: hash })
    }
  }
  return jobs
}

/**
 * Runs an ablation: every arm × paired seed not already in `<out>/<suite>/results.jsonl` under the
 * same settings (so a rerun after Ctrl-C or a crash resumes), then derives the target, computes
 * the statistics and writes report.md, summary.json and the SVG plots.
 */
export async function runAblation(suite: BenchSuite, options: AblationOptions = {}): Promise<AblationOutcome> {
  const outDir = join(options.out ?? 'bench-results', suite.name)
  mkdirSync(outDir, { recursive: true })
  const resultsPath = join(outDir, 'results.jsonl')
  const jobs = planJobs(suite, options)
  const key = (j: { configHash: string; seed: number; arm: string }) => `${j.arm}:${j.configHash}:${j.seed}`
  const wanted = new Set(jobs.map(key))
  const previous = readRecords(resultsPath).filter((r) => wanted.has(key(r)))
  const done = new Map(previous.map((r) => [key(r), r]))
  const pending = jobs.filter((j) => !done.has(key(j)))
  const emit = options.onEvent ?? (() => {})
  emit({ type: 'suite-start', suite: suite.name, total: jobs.length, done: done.size, maxSteps: jobs[0]?.maxSteps ?? 0 })

  const executor = options.executor ?? new InProcessExecutor([suite])
  const failures: { job: RunJob; error: Error }[] = []
  let next = 0
  const lane = async () => {
    while (next < pending.length) {
      const job = pending[next++] as RunJob
      emit({ type: 'run-start', job })
      try {
        const record = await executor.run(job, (step) => emit({ type: 'run-progress', job, step }))
        appendRecord(resultsPath, record)
        done.set(key(job), record)
        emit({ type: 'run-done', job, record })
      } catch (e) {
        failures.push({ job, error: e as Error })
        emit({ type: 'run-failed', job, error: e as Error })
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, executor.concurrency) }, lane))
  } finally {
    if (!options.executor) await executor.close()
  }

  const records = jobs.map((j) => done.get(key(j))).filter((r): r is RunRecord => r !== undefined)
  let summary: SuiteSummary | null = null
  if (records.some((r) => r.arm === suite.baseline)) {
    summary = summarise(suite, records, options.size ?? 'quick', { ...(options.bootstrapResamples ? { bootstrapResamples: options.bootstrapResamples } : {}) })
    const plots: SuitePlot[] = [metricPlot(summary, records), speedupPlot(summary), ...(suite.plots?.(records) ?? [])]
    const rendered: { name: string; title: string }[] = []
    if (options.plots ?? true) {
      for (const p of plots) {
        writeFileSync(join(outDir, `${p.name}.svg`), await renderSvg(p.spec))
        rendered.push({ name: `${p.name}.svg`, title: p.title })
      }
    }
    writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
    writeFileSync(join(outDir, 'report.md'), renderSuiteMarkdown(summary, records, rendered, failures))
  }
  emit({ type: 'suite-done', suite: suite.name, summary, outDir })
  return { summary, records, failures, outDir }
}
