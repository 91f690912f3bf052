import { readdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, makeDir, stepsToTarget, type BackendName } from '@converge/core'
import { InProcessExecutor, type Executor } from './executor.js'
import { jobKey, settingsKey, TUNING_SEED_BASE, type RunJob } from './job.js'
import { forestPlot, marginPlot, metricPlot, renderSvg, speedupPlot } from './plots.js'
import { appendRecord, readRecords, type RunRecord } from './records.js'
import { renderSuiteMarkdown } from './report-markdown.js'
import { writeSuiteHtml } from './html/write.js'
import { armConfigHash, type RunSettings } from './run-one.js'
import { sourceHash as computeSourceHash } from './source-hash.js'
import type { ArmSpec, BenchSize, BenchSuite, Hyperparams, SuitePlot } from '@converge/core/suite'
import { summarise, type SuiteSummary } from './summary.js'
import { budgetsOf, validateBudgets } from './budget-matched.js'
import { choosePairs, DEFAULT_DETECT, pilotSpread, validatePairs, type PairsChoice } from './pairs-auto.js'
import { buildArm, checkArmCapabilities, checkSuiteFields } from './suite-checks.js'
import { checkFolderName } from './names.js'
import { chooseHyperparams, DEFAULT_TUNING_SEEDS, gridPoints, tuningTarget, validateTune, type ArmTuning } from './tuning.js'
import type { Target } from '@converge/core'

export type BenchEvent =
  | { type: 'suite-start'; suite: string; phase: 'tuning' | 'runs'; total: number; done: number; maxSteps: number; target: string }
  | { type: 'stale'; suite: string; count: number }
  | { type: 'run-start'; job: RunJob }
  | { type: 'run-progress'; job: RunJob; step: number }
  | { type: 'run-done'; job: RunJob; record: RunRecord; targetStep: number | null | undefined }
  | { type: 'run-failed'; job: RunJob; error: Error }
  | { type: 'tuned'; suite: string; tuning: ArmTuning }
  | { type: 'pairs'; suite: string; choice: PairsChoice }
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
  /** Write the suite's interactive page (`report.html`) and rewrite `<out>/index.html` (default true). */
  readonly html?: boolean
  /** Hash of the code runs execute (default: computed from the working directory, see source-hash.ts). */
  readonly sourceHash?: string
  /** Ignore cached results: every job runs again (new records supersede old ones). */
  readonly fresh?: boolean
  /** Move corrupt lines of results.jsonl aside instead of stopping. */
  readonly dropCorrupt?: boolean
  /** Aborting stops starting jobs and drops the records of jobs still running. */
  readonly signal?: AbortSignal
  /**
   * Checkpoint every run in `<out>/<suite>/checkpoints/<job>/` (every `everySteps`, default the
   * loop's 1000) so that a bench killed midway resumes its unfinished runs from their newest
   * checkpoint instead of step 0, to the same records. The folder name holds the job's settings and
   * source hashes, so a checkpoint never resumes a run of other settings or other code. The folder
   * must be reachable by whatever runs the job: local workers, not a queue's other machines.
   */
  readonly checkpoints?: { readonly everySteps?: number }
}

export interface AblationOutcome {
  readonly summary: SuiteSummary | null
  /** Completed reported runs under the current settings (earlier runs resumed included). */
  readonly records: readonly RunRecord[]
  /** Completed tuning runs. */
  readonly tuningRecords: readonly RunRecord[]
  readonly failures: readonly { job: RunJob; error: Error }[]
  readonly outDir: string
  /** True when the signal aborted the suite: nothing was summarised. */
  readonly aborted: boolean
}

/** Errors that stop the whole bench at once rather than fail one run. */
const FATAL_ERRORS = new Set(['BackendError', 'ConfigError', 'QueueUnavailableError'])

/** The metric the suite's target reads, when known before any run. */
function targetMetric(suite: BenchSuite, taskMetric: string): string {
  return suite.target.kind === 'explicit' ? suite.target.target.metric : (suite.target.metric ?? taskMetric)
}

/** Everything planned for a suite before any job runs. */
export interface SuitePlan {
  readonly settings: RunSettings
  readonly seeds: number
  readonly tuningSeeds: number
  readonly sourceHash: string
  /** Arms that run, in suite order. */
  readonly arms: readonly ArmSpec[]
  /** Tuning jobs (empty when no arm has a grid), interleaved: per tuning seed, every arm and point. */
  readonly tuningJobs: readonly RunJob[]
  /** Grid points per tuned arm. */
  readonly grids: ReadonlyMap<string, readonly Hyperparams[]>
  /** `pairs: 'auto'` (and no --seeds): the effect to size for, the cap (`seeds`) and the pilot's tuning seeds; null otherwise. */
  readonly autoPairs: { readonly effect: number; readonly cap: number; readonly pilotSeeds: number } | null
}

function settingsOf(suite: BenchSuite, options: AblationOptions): { settings: RunSettings; seeds: number; tuningSeeds: number; sizeArms: readonly string[] | undefined; autoPairs: SuitePlan['autoPairs'] } {
  const size = options.size ?? 'quick'
  const cfg = suite.sizes[size]
  validatePairs(suite.name, size, cfg)
  const tuningSeeds = cfg.tuningSeeds ?? DEFAULT_TUNING_SEEDS
  return {
    settings: {
      size,
      maxSteps: options.maxSteps ?? cfg.maxSteps,
      evalEvery: options.evalEvery ?? cfg.evalEvery,
      backend: options.backend ?? 'auto',
      tunedWasm: options.tunedWasm ?? true,
      ...(cfg.stopAtTarget ? { stopAtTarget: true } : {}),
    },
    seeds: options.seeds ?? cfg.seeds,
    tuningSeeds,
    sizeArms: cfg.arms,
    // --seeds names the pair count outright; the pilot needs at least 2 tuning seeds for a spread.
    autoPairs: cfg.pairs === 'auto' && options.seeds === undefined ? { effect: cfg.detect ?? DEFAULT_DETECT, cap: cfg.seeds, pilotSeeds: Math.max(2, tuningSeeds) } : null,
  }
}

const checkedArms = new WeakMap<ArmSpec, Set<string>>()

/** Builds an arm at `hp` and hashes its settings; a throwing trick or task factory is a config error. */
function hashArm(suite: BenchSuite, arm: ArmSpec, hp: Hyperparams, settings: RunSettings): string {
  try {
    // Checked once per arm, size and grid point (hashArm runs for every job).
    const key = `${settings.size}:${JSON.stringify(hp)}`
    const done = checkedArms.get(arm) ?? new Set<string>()
    if (!done.has(key)) {
      buildArm(suite, arm, hp, settings.size)
      checkedArms.set(arm, done.add(key))
    }
    return armConfigHash(suite, arm, hp, settings)
  } catch (e) {
    const at = Object.keys(hp).length ? ` at ${JSON.stringify(hp)}` : ''
    throw new ConfigError(`suite "${suite.name}", arm "${arm.name}"${at}: building the arm failed: ${(e as Error).message}`)
  }
}

const job = (suite: BenchSuite, arm: ArmSpec, kind: RunJob['kind'], seed: number, hp: Hyperparams, settings: RunSettings, source: string): RunJob => ({
  kind,
  suite: suite.name,
  arm: arm.name,
  seed,
  hp,
  ...settings,
  configHash: hashArm(suite, arm, hp, settings),
  sourceHash: source,
})

/** Every run removes its own checkpoints once recorded; the folder goes when the last one has. */
function removeEmptyCheckpointFolder(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir)
  } catch {
    // no such folder: checkpoints were off
  }
}

/** A file-system-safe folder name unique to a job's identity (kind, arm, seed, settings, source). */
export function checkpointFolder(j: Pick<RunJob, 'kind' | 'arm' | 'seed' | 'configHash' | 'sourceHash'>): string {
  return `${j.kind}-${j.arm.replace(/[^A-Za-z0-9._-]/g, '_')}-${j.seed}-${j.configHash.slice(0, 16)}-${j.sourceHash.slice(0, 12)}`
}

/**
 * Plans a suite: checks the options and grids, builds every arm at every grid point (so bad trick
 * or task options fail here, before any run), and lists the tuning jobs. The baseline also runs on
 * the tuning seeds when another arm is tuned against a target derived from the baseline.
 */
export function planSuite(suite: BenchSuite, options: AblationOptions): SuitePlan {
  checkSuiteFields(suite)
  const { settings, seeds, tuningSeeds, sizeArms, autoPairs } = settingsOf(suite, options)
  const unknown = (options.arms ?? []).filter((a) => !suite.arms.some((x) => x.name === a))
  if (unknown.length) {
    throw new ConfigError(`suite "${suite.name}" has no arm ${unknown.map((a) => `"${a}"`).join(', ')} (arms: ${suite.arms.map((a) => a.name).join(', ')})`)
  }
  // --arms wins over the size's own selection; without either, every arm.
  const wanted = new Set([suite.baseline, ...(options.arms ?? sizeArms ?? suite.arms.map((a) => a.name))])
  const arms = suite.arms.filter((a) => wanted.has(a.name))
  for (const a of arms) {
    validateTune(suite.name, a)
    validateBudgets(suite.name, a)
  }
  const source = options.sourceHash ?? computeSourceHash(null)
  const tuned = arms.filter((a) => a.tune)
  const baseline = arms.find((a) => a.name === suite.baseline) as ArmSpec
  // The baseline runs on the tuning seeds when the target comes from its tuning runs.
  const baselineTunes = !baseline.tune && ((tuned.length && suite.target.kind === 'fromBaseline') || suite.target.kind === 'fromTuning')
  const tuneArms = baselineTunes ? [baseline, ...tuned] : tuned
  const grids = new Map(tuneArms.map((a) => [a.name, gridPoints(a.tune)] as const))
  const tuningJobs: RunJob[] = []
  for (let i = 1; i <= tuningSeeds; i++) {
    for (const a of suite.arms.filter((x) => grids.has(x.name))) {
      for (const hp of grids.get(a.name) ?? []) tuningJobs.push(job(suite, a, 'tune', TUNING_SEED_BASE + i, hp, settings, source))
    }
  }
  // Every reported arm is built once here too, so its options are checked before any run.
  for (const a of arms.filter((x) => !x.tune)) hashArm(suite, a, {}, settings)
  return { settings, seeds, tuningSeeds: tuneArms.length ? tuningSeeds : 0, sourceHash: source, arms, tuningJobs, grids, autoPairs }
}

/** The reported jobs at the chosen hyperparameters, interleaved per seed (seed 1: every arm, seed 2: …) so time columns compare arms under the same load. */
export function planRuns(suite: BenchSuite, plan: SuitePlan, chosen: ReadonlyMap<string, Hyperparams>): RunJob[] {
  const jobs: RunJob[] = []
  for (let seed = 1; seed <= plan.seeds; seed++) {
    for (const a of plan.arms) {
      jobs.push(job(suite, a, 'run', seed, chosen.get(a.name) ?? {}, plan.settings, plan.sourceHash))
      // Budget-matched arms: one complete run per shorter budget (the run above is the full budget).
      for (const budget of budgetsOf(a.budgetFractions ?? [], plan.settings.maxSteps, plan.settings.evalEvery)) {
        jobs.push(job(suite, a, 'budget', seed, chosen.get(a.name) ?? {}, { ...plan.settings, maxSteps: budget }, plan.sourceHash))
      }
    }
  }
  return jobs
}

/** @deprecated kept for programmatic callers: the reported jobs of a suite without tuning. */
export function planJobs(suite: BenchSuite, options: AblationOptions): RunJob[] {
  return planRuns(suite, planSuite(suite, options), new Map())
}

const describeTarget = (t: Target) => `${t.metric} ${t.direction === 'max' ? '>=' : '<='} ${t.value.toPrecision(4)}`

/**
 * Runs an ablation: tunes the arms that have a grid (on tuning seeds), then runs every arm ×
 * paired seed, skipping jobs already in `<out>/<suite>/results.jsonl` under the same settings and
 * source code (so a rerun after Ctrl-C or a crash resumes), then derives the target, computes the
 * statistics and writes report.md, summary.json, the SVG plots and the interactive page
 * (report.html, with `<out>/index.html` rewritten).
 */
export async function runAblation(suite: BenchSuite, options: AblationOptions = {}): Promise<AblationOutcome> {
  const plan = planSuite(suite, options)
  await checkArmCapabilities(suite, plan.arms, plan.settings.size, plan.grids)
  const outDir = join(options.out ?? 'bench-results', suite.name)
  makeDir(outDir, 'out')
  const resultsPath = join(outDir, 'results.jsonl')
  const emit = options.onEvent ?? (() => {})
  const stored = options.fresh ? [] : readRecords(resultsPath, { dropCorrupt: options.dropCorrupt ?? false })
  // Later lines supersede earlier ones with the same key (a --fresh rerun appends new records).
  const cache = new Map(stored.map((r) => [jobKey(r), r]))
  const staleKeys = new Set(stored.filter((r) => r.sourceHash !== plan.sourceHash).map(settingsKey))
  const executor = options.executor ?? new InProcessExecutor([suite])
  const failures: { job: RunJob; error: Error }[] = []
  const signal = options.signal
  let fatal: Error | null = null
  // Every run writes its per-step metrics file beside the suite's records (metrics/<run>.csv).
  const withOutputs = (j: RunJob): RunJob => {
    const metricsFile = join(outDir, 'metrics', `${checkpointFolder(j)}.csv`)
    if (!options.checkpoints) return { ...j, metricsFile }
    const { everySteps } = options.checkpoints
    return { ...j, metricsFile, checkpoint: { dir: join(outDir, 'checkpoints', checkpointFolder(j)), ...(everySteps ? { everySteps } : {}) } }
  }

  /**
   * A one-step run of the suite's first job (its budget kept, so schedules see the real one) before
   * any real run, not recorded: a backend that
   * cannot start, or a target metric the task does not report, stops the bench here.
   */
  let probed = false
  const probe = async (first: RunJob): Promise<void> => {
    let record: RunRecord
    try {
      // Its own settings hash: a one-step run is a different run (and a distinct queue job).
      const arm = suite.arms.find((a) => a.name === first.arm) as ArmSpec
      const probeJob = { ...first, stopAfter: 1, evalEvery: 1 }
      record = await executor.run({ ...probeJob, configHash: armConfigHash(suite, arm, first.hp, probeJob) }, () => {})
    } catch (e) {
      if (signal?.aborted) return
      const error = e as Error
      if (FATAL_ERRORS.has(error.name)) {
        executor.kill()
        throw error
      }
      return // an ordinary crash shows up (and is reported) on the real runs
    }
    const metrics = Object.keys(record.result.history[0]?.metrics ?? {})
    const metric = targetMetric(suite, record.result.taskTarget.metric)
    if (!metrics.includes(metric)) {
      throw new ConfigError(`suite "${suite.name}": the target metric "${metric}" is not among the metrics the task reports (${metrics.join(', ') || 'none'})`)
    }
  }

  /** Runs the jobs not in the cache, `executor.concurrency` at a time in the given order. */
  const execute = async (jobs: readonly RunJob[], phase: 'tuning' | 'runs', target: Target | null): Promise<Map<string, RunRecord>> => {
    const done = new Map<string, RunRecord>()
    for (const j of jobs) {
      const hit = cache.get(jobKey(j))
      if (hit) done.set(jobKey(j), hit)
    }
    const pending = jobs.filter((j) => !done.has(jobKey(j)))
    const stale = pending.filter((j) => staleKeys.has(settingsKey(j))).length
    emit({
      type: 'suite-start',
      suite: suite.name,
      phase,
      total: jobs.length,
      done: done.size,
      maxSteps: plan.settings.maxSteps,
      target: target ? describeTarget(target) : 'derived from the baseline once its runs finish',
    })
    if (stale) emit({ type: 'stale', suite: suite.name, count: stale })
    if (pending.length && !probed) {
      probed = true
      await probe(pending[0] as RunJob)
    }
    let next = 0
    const lane = async () => {
      while (next < pending.length && !signal?.aborted && !fatal) {
        const j = withOutputs(pending[next++] as RunJob)
        emit({ type: 'run-start', job: j })
        try {
          const record = await executor.run(j, (step) => emit({ type: 'run-progress', job: j, step }))
          if (signal?.aborted || fatal) return // abandoned: never recorded
          appendRecord(resultsPath, record)
          done.set(jobKey(j), record)
          emit({ type: 'run-done', job: j, record, targetStep: target ? (record.result.diverged ? null : stepsToTarget(record.result.history, target)) : undefined })
        } catch (e) {
          if (signal?.aborted) return
          const error = e as Error
          if (FATAL_ERRORS.has(error.name)) {
            fatal ??= error
            executor.kill()
            return
          }
          failures.push({ job: j, error })
          emit({ type: 'run-failed', job: j, error })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, executor.concurrency) }, lane))
    if (fatal) throw fatal
    return done
  }

  const abortedOutcome = (records: RunRecord[], tuningRecords: RunRecord[]): AblationOutcome => ({ summary: null, records, tuningRecords, failures, outDir, aborted: true })
  const explicit = suite.target.kind === 'explicit' ? suite.target.target : null
  try {
    // 1. Tuning.
    const tuningDone = await execute(plan.tuningJobs, 'tuning', explicit)
    const tuningRecords = plan.tuningJobs.map((j) => tuningDone.get(jobKey(j))).filter((r): r is RunRecord => r !== undefined)
    if (signal?.aborted) return abortedOutcome([], tuningRecords)
    const chosen = new Map<string, Hyperparams>()
    const tuning: ArmTuning[] = []
    let tuningTargetInfo: { target: Target; source: string } | null = null
    if (plan.tuningJobs.length) {
      tuningTargetInfo = tuningTarget(suite, tuningRecords.filter((r) => r.arm === suite.baseline))
      for (const a of plan.arms) {
        const points = plan.grids.get(a.name)
        if (!points || !a.tune) continue
        const t = chooseHyperparams(a, points, tuningRecords, tuningTargetInfo.target, suite.crossing ?? 'raw', suite.tuneBy ?? 'steps')
        chosen.set(a.name, t.chosen)
        tuning.push(t)
        emit({ type: 'tuned', suite: suite.name, tuning: t })
      }
    }

    // 1b. pairs: 'auto': a pilot on the tuning seeds (every arm at its chosen settings) sizes the suite.
    let pairsChoice: PairsChoice | null = null
    let runPlan = plan
    if (plan.autoPairs) {
      const { effect, cap, pilotSeeds } = plan.autoPairs
      const seedsOfPilot = Array.from({ length: pilotSeeds }, (_, i) => TUNING_SEED_BASE + 1 + i)
      const pilotJobs = seedsOfPilot.flatMap((seed) => plan.arms.map((a) => job(suite, a, 'tune', seed, chosen.get(a.name) ?? {}, plan.settings, plan.sourceHash)))
      const pilotDone = await execute(pilotJobs.filter((j) => !tuningDone.has(jobKey(j))), 'tuning', explicit)
      if (signal?.aborted) return abortedOutcome([], tuningRecords)
      const pilot = pilotJobs.map((j) => tuningDone.get(jobKey(j)) ?? pilotDone.get(jobKey(j))).filter((r): r is RunRecord => r !== undefined)
      const pilotTarget = tuningTargetInfo?.target ?? tuningTarget(suite, pilot.filter((r) => r.arm === suite.baseline)).target
      const { spread, pairs } = pilotSpread(pilot, suite.baseline, pilotTarget)
      pairsChoice = choosePairs(spread, pairs, effect, cap, seedsOfPilot)
      runPlan = { ...plan, seeds: pairsChoice.pairs }
      emit({ type: 'pairs', suite: suite.name, choice: pairsChoice })
    }

    // 2. Reported runs at the chosen hyperparameters.
    const jobs = planRuns(suite, runPlan, chosen)
    const done = await execute(jobs, 'runs', suite.target.kind === 'fromTuning' ? (tuningTargetInfo?.target ?? null) : explicit)
    const records = jobs.map((j) => done.get(jobKey(j))).filter((r): r is RunRecord => r !== undefined)
    if (signal?.aborted) return abortedOutcome(records, tuningRecords)
    removeEmptyCheckpointFolder(join(outDir, 'checkpoints'))

    // 3. Statistics and report.
    let summary: SuiteSummary | null = null
    if (records.some((r) => r.arm === suite.baseline)) {
      summary = summarise(suite, records, plan.settings.size, {
        tuning,
        tuningTarget: tuningTargetInfo,
        tuningSeeds: plan.tuningSeeds,
        maxSteps: plan.settings.maxSteps,
        pairsChoice,
        ...(suite.target.kind === 'fromTuning' && tuningTargetInfo ? { target: tuningTargetInfo } : {}),
      })
      // Plots of the metric read the full-budget runs (budget-matched runs have their own section).
      const reported = records.filter((r) => r.kind === 'run')
      const plots: SuitePlot[] = [metricPlot(summary, reported), speedupPlot(summary), forestPlot(summary), marginPlot(summary), ...(suite.plots?.(reported) ?? [])]
      const rendered: { name: string; title: string }[] = []
      if (options.plots ?? true) {
        for (const p of plots) {
          checkFolderName(`suite "${suite.name}", plot`, 'name', p.name) // a file under the suite's folder, never outside it
          writeFileSync(join(outDir, `${p.name}.svg`), await renderSvg(p.spec))
          rendered.push({ name: `${p.name}.svg`, title: p.title })
        }
      }
      writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
      writeFileSync(join(outDir, 'report.md'), renderSuiteMarkdown(summary, records, rendered, failures))
      if (options.html ?? true) writeSuiteHtml(outDir, summary, records, tuningRecords, failures)
    }
    emit({ type: 'suite-done', suite: suite.name, summary, outDir })
    return { summary, records, tuningRecords, failures, outDir, aborted: false }
  } finally {
    if (!options.executor) await executor.close()
  }
}
