import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { checkpointHistory, listCheckpoints, NonFiniteLossError, stepsToTarget, train, type BackendInfo, type BackendName, type EvalRecord, type Target, type Trick } from '@converge/core'
import { configHash, RECORD_FORMAT, type RunRecord } from './records.js'
import type { RunJob } from './job.js'
import { armOptimizer, type ArmSpec, type BenchSize, type BenchSuite, type Hyperparams } from '@converge/core/suite'

export type { RunJob } from './job.js'

export type ProgressFn = (step: number) => void

export function findArm(suite: BenchSuite, name: string): ArmSpec {
  const arm = suite.arms.find((a) => a.name === name)
  if (!arm) throw new RangeError(`suite "${suite.name}" has no arm "${name}" (arms: ${suite.arms.map((a) => a.name).join(', ')})`)
  return arm
}

export interface RunSettings {
  readonly size: BenchSize
  readonly maxSteps: number
  readonly evalEvery: number
  readonly backend: BackendName
  readonly tunedWasm: boolean
  /** End the run at the suite's explicit target (`SizeConfig.stopAtTarget`). */
  readonly stopAtTarget?: boolean
  /**
   * End the run after this many optimizer steps while `maxSteps` stays its budget: the bench's probe
   * and warm-up runs are short, yet schedules and warm-ups that read the budget see the real one.
   */
  readonly stopAfter?: number
}

/**
 * The settings hash of an arm at hyperparameters `hp`: tricks (as instantiated, with their
 * options), optimizer and task options included. Building the arm here also surfaces bad trick
 * or task options before any run starts.
 */
export function armConfigHash(suite: BenchSuite, arm: ArmSpec, hp: Hyperparams, job: RunSettings): string {
  const task = (arm.task ?? suite.task)(job.size)
  const tricks = arm.tricks(hp).map((t: Trick) => ({ name: t.name, options: t.options ?? {} }))
  return configHash({
    suite: suite.name,
    arm: arm.name,
    hp,
    tricks,
    optimizer: armOptimizer(arm, hp) ?? null,
    task: { name: task.name, options: task.options, optimizer: task.optimizer },
    size: job.size,
    maxSteps: job.maxSteps,
    evalEvery: job.evalEvery,
    backend: job.backend,
    tunedWasm: job.tunedWasm,
    ...(job.stopAtTarget ? { stopAtTarget: true } : {}),
    ...(job.stopAfter !== undefined ? { stopAfter: job.stopAfter } : {}),
  })
}

let provenanceCache: RunRecord['provenance']['packages'] | null = null
function packageVersions(): Record<string, string> {
  if (provenanceCache) return provenanceCache
  const versions: Record<string, string> = { '@tensorflow/tfjs': tf.version.tfjs }
  for (const name of ['@converge/core', '@converge/bench']) {
    try {
      const url = new URL('../package.json', import.meta.resolve(name))
      versions[name] = (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
    } catch {
      // a package that cannot be resolved from here is simply not listed
    }
  }
  return (provenanceCache = versions)
}

let gitCache: string | null | undefined
function gitRevision(): string | null {
  if (gitCache !== undefined) return gitCache
  try {
    const rev = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    gitCache = dirty ? `${rev}+dirty` : rev
  } catch {
    gitCache = null
  }
  return gitCache
}

/** Train options that end a run at the suite's explicit target (the config check guarantees one). */
function stopAt(suite: BenchSuite): { target: Target; stopAtTarget: true } {
  if (suite.target.kind !== 'explicit') throw new RangeError(`suite "${suite.name}": stopAtTarget needs an explicit target`)
  return { target: suite.target.target, stopAtTarget: true }
}

/**
 * Runs one (arm, seed) of a suite and returns its record. A run whose loss turns non-finite is a
 * result, not a failure: it is recorded as diverged and counts as not reaching the target.
 */
export async function runOne(suite: BenchSuite, job: RunJob, onProgress: ProgressFn = () => {}): Promise<RunRecord> {
  const arm = findArm(suite, job.arm)
  const tricks = arm.tricks(job.hp)
  const optimizer = armOptimizer(arm, job.hp)
  const task = (arm.task ?? suite.task)(job.size)
  const history: EvalRecord[] = []
  let steps = 0
  let backend: BackendInfo | null = null
  let diverged: RunRecord['result']['diverged'] = null
  let result: Awaited<ReturnType<typeof train>> | null = null
  const checkpoint = job.checkpoint ? { checkpoint: { dir: job.checkpoint.dir, ...(job.checkpoint.everySteps ? { everySteps: job.checkpoint.everySteps } : {}) }, resume: true } : {}
  // Training time up to the last evaluation, and the wall clock then: a diverged run keeps its
  // real training time (the loop's own total is lost with the error).
  let trainMsAtEval = 0
  let wallAtEval = performance.now()
  try {
    result = await train({
      task,
      tricks,
      seed: job.seed,
      maxSteps: job.maxSteps,
      evalEvery: job.evalEvery,
      backend: job.backend,
      tunedWasm: job.tunedWasm,
      ...(job.stopAtTarget ? stopAt(suite) : {}),
      ...(optimizer ? { optimizer } : {}),
      ...checkpoint,
      ...(job.metricsFile ? { metricsFile: job.metricsFile } : {}),
      onStep: (r, ctx) => {
        steps = r.step
        backend = ctx.backend
        onProgress(r.step)
        if (job.stopAfter !== undefined && r.step >= job.stopAfter) ctx.stop('short run (probe or warm-up)')
      },
      onEval: (rec, ctx) => {
        history.push(rec)
        backend = ctx.backend
        trainMsAtEval = rec.trainMs
        wallAtEval = performance.now()
      },
    })
  } catch (e) {
    if (!(e instanceof NonFiniteLossError)) throw e
    diverged = { step: e.step, message: e.message }
    steps = e.step
    if (job.checkpoint && listCheckpoints(job.checkpoint.dir).length > 0) {
      // A resumed run reported only the evaluations after its checkpoint through onEval.
      const saved = checkpointHistory(job.checkpoint.dir)
      history.splice(0, history.length, ...saved.history, ...history.filter((h) => h.step > saved.step))
    }
  }
  if (job.checkpoint) rmSync(job.checkpoint.dir, { recursive: true, force: true })
  const divergedTrainMs = trainMsAtEval + (performance.now() - wallAtEval)
  return {
    format: RECORD_FORMAT,
    kind: job.kind,
    suite: suite.name,
    arm: arm.name,
    seed: job.seed,
    hp: job.hp,
    size: job.size,
    configHash: job.configHash,
    sourceHash: job.sourceHash,
    task: { name: task.name, options: task.options },
    tricks: tricks.map((t) => ({ name: t.name, options: t.options ?? {} })),
    optimizer: (optimizer as Record<string, unknown> | undefined) ?? null,
    backend: result?.backend ?? (backend as BackendInfo | null) ?? { requested: job.backend, name: 'unknown', tfjsVersion: tf.version.tfjs },
    maxSteps: job.maxSteps,
    evalEvery: job.evalEvery,
    result: {
      history: result?.history ?? history,
      steps: result?.steps ?? steps,
      trainMs: result?.trainMs ?? divergedTrainMs,
      evalMs: result?.evalMs ?? 0,
      taskTarget: task.target,
      taskStepsToTarget: stepsToTarget(result?.history ?? history, task.target),
      stopReason: result?.stopReason ?? (diverged ? 'diverged' : null),
      diverged,
    },
    extras: result && arm.collect ? arm.collect(tricks, result) : {},
    provenance: { packages: packageVersions(), gitRevision: gitRevision(), node: process.version, completedAt: new Date().toISOString() },
  }
}
