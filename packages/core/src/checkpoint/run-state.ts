import type * as tf from '@tensorflow/tfjs'
import type { Logger } from 'pino'
import type { Run } from '../loop/run.js'
import type { EvalRecord, PhaseRecord, ResumeInfo } from '../result.js'
import type { RngState } from '../rng.js'
import type { TaskState } from '../task.js'
import type { TrickState } from '../trick.js'
import { decodeState, disposeTensors, encodeState, type TensorRecord } from './codec.js'
import { CheckpointError } from './errors.js'
import { listCheckpoints, readCheckpoint, removeTemporaries, writeCheckpoint, type LoadedCheckpoint } from './format.js'
import { restoreOptimizer, snapshotOptimizer, type OptimizerSnapshot } from './optimizer-state.js'
import { runSettings, settingsDiff, settingsHash } from './settings.js'

/** The run's state in a checkpoint (tensors decoded). Written between steps, at a batch boundary. */
interface RunState {
  readonly step: number
  readonly stopReason: string | null
  readonly reachedAt: number | null
  readonly trainMs: number
  readonly evalMs: number
  readonly losses: number[]
  readonly terms: Parameters<Run['terms']['loadState']>[0]
  readonly history: EvalRecord[]
  /** Phases that had ended. */
  readonly phases: PhaseRecord[]
  /** The phase in progress and how far it got. */
  readonly active: { readonly name: string; readonly startStep: number; readonly stepsTaken: number }
  readonly streams: Record<string, RngState>
  /** The streams when the active phase began (before its optimizer was built), to rebuild that optimizer identically. */
  readonly phaseStartStreams: Record<string, RngState>
  readonly variables: { readonly names: string[]; readonly values: tf.Tensor[] }
  readonly optimizer: OptimizerSnapshot
  readonly task: TaskState | null
  readonly tricks: Record<string, TrickState>
  readonly progressAt: number
}

/** Variables a checkpoint holds: the trainable ones (task's, then those tricks added) and the active phase's. */
function savedVariables(run: Run): tf.Variable[] {
  const seen = new Set<tf.Variable>()
  for (const v of [...run.trainVariables, ...(run.active?.variables ?? [])]) seen.add(v)
  return [...seen]
}

/** Writes checkpoints of one run every `everySteps` steps (at the first batch boundary from then on) and at its end. */
export class Checkpointer {
  private nextAt: number
  private lastSaved = -1
  readonly settings: Record<string, unknown>
  readonly hash: string

  constructor(
    private readonly run: Run,
    readonly dir: string,
    readonly everySteps: number,
    readonly keep: number,
  ) {
    this.settings = runSettings(run)
    this.hash = settingsHash(this.settings)
    this.nextAt = everySteps
  }

  /**
   * The newest checkpoint that verifies, or null when `dir` holds none. Damaged ones (truncated,
   * corrupt) are skipped with a warning; one from other settings or another format version is an
   * error, as is a directory whose every checkpoint is damaged.
   */
  findLatest(log: Logger): { checkpoint: LoadedCheckpoint; info: ResumeInfo } | null {
    removeTemporaries(this.dir)
    const found = listCheckpoints(this.dir)
    if (found.length === 0) return null
    const skipped: string[] = []
    for (const { path } of found) {
      let loaded: LoadedCheckpoint
      try {
        loaded = readCheckpoint(path)
      } catch (e) {
        if (!(e instanceof CheckpointError) || e.kind !== 'damaged') throw e
        skipped.push(e.message)
        log.warn({ checkpoint: path, reason: e.message }, 'skipping a damaged checkpoint; falling back to the previous one')
        continue
      }
      if (loaded.manifest.settingsHash !== this.hash) {
        const diff = settingsDiff(loaded.manifest.settings, this.settings)
        throw new CheckpointError(`checkpoint ${path} was written by a run with other settings (${diff.join('; ') || 'settings hash differs'}); resume it with the same settings, or start in another directory`)
      }
      return { checkpoint: loaded, info: { step: loaded.manifest.step, path, skipped } }
    }
    throw new CheckpointError(`no usable checkpoint in ${this.dir}: ${skipped.join('; ')}`)
  }

  /** After a step: saves when one is due and the batch is used up (a checkpoint never splits a batch). */
  async afterStep(): Promise<void> {
    const run = this.run
    if (run.step < this.nextAt || !run.active?.batches.needsBatch()) return
    await this.save()
  }

  /** At the run's end: a final checkpoint, so a finished run resumes to its result (and its weights can be loaded). */
  async atEnd(): Promise<void> {
    if (this.lastSaved !== this.run.step) await this.save()
  }

  /** Continues the schedule of a resumed run. */
  resumedAt(step: number): void {
    this.lastSaved = step
    this.nextAt = (Math.floor(step / this.everySteps) + 1) * this.everySteps
  }

  private async save(): Promise<void> {
    const run = this.run
    const started = performance.now()
    const tensors: TensorRecord[] = []
    const state = await captureRun(run, tensors)
    writeCheckpoint(this.dir, { step: run.step, settings: this.settings, settingsHash: this.hash, state }, tensors, this.keep)
    this.resumedAt(run.step)
    run.checkpointMs += performance.now() - started
    run.log.debug({ step: run.step, ms: Math.round(performance.now() - started) }, 'checkpoint written')
  }
}

async function captureRun(run: Run, tensors: TensorRecord[]): Promise<unknown> {
  const active = run.active
  if (!active) throw new CheckpointError('a checkpoint is taken inside a phase')
  const variables = savedVariables(run)
  const optimizer = await snapshotOptimizer(active.optimizer)
  const taskState = run.instance.state?.() ?? null
  const trickStates: Record<string, TrickState> = {}
  for (const t of run.driver.tricks) if (t.state) trickStates[t.name] = t.state()
  try {
    // Task and tricks first, each under its own name, so an error points at whose state it is.
    const tricks: Record<string, unknown> = {}
    for (const [name, st] of Object.entries(trickStates)) tricks[name] = await encodeState(st, `trick "${name}"'s state`, tensors)
    const task = await encodeState(taskState, `task "${run.o.task.name}"'s state`, tensors)
    const state: Omit<RunState, 'task' | 'tricks'> = {
      step: run.step,
      stopReason: run.stopReason,
      reachedAt: run.reachedAt,
      trainMs: run.trainMs,
      evalMs: run.evalMs,
      // Losses and terms are float32 values read back from tensors: binary float32 keeps them exact.
      losses: Float32Array.from(run.losses) as unknown as number[],
      terms: floatTerms(run.terms.state()),
      history: run.history,
      phases: run.phases,
      active: { name: active.name, startStep: active.startStep, stepsTaken: active.stepsTaken },
      streams: run.streams.state(),
      phaseStartStreams: run.phaseStartStreams,
      variables: { names: variables.map((v) => v.name), values: variables },
      optimizer,
      progressAt: run.progress.lastAt,
    }
    return { ...((await encodeState(state, 'run state', tensors)) as object), task, tricks }
  } finally {
    disposeTensors([optimizer.weights.map((w) => w.tensor), Object.values(optimizer.extras), taskState, Object.values(trickStates)])
  }
}

function floatTerms(t: RunState['terms']): RunState['terms'] {
  return { ...t, values: Object.fromEntries(Object.entries(t.values).map(([k, v]) => [k, Float32Array.from(v) as unknown as number[]])) }
}

/** A checkpoint being resumed: what the loop asks while setup re-runs up to the phase it was written in. */
export class ResumePoint {
  private readonly made: tf.Tensor[] = []
  private readonly state: RunState

  constructor(
    readonly checkpoint: LoadedCheckpoint,
    readonly info: ResumeInfo,
  ) {
    this.state = decodeState(checkpoint.manifest.state, checkpoint.tensors, this.made) as RunState
  }

  /** The record of a setup phase that had ended before the checkpoint (the loop skips it), else null. */
  completedPhase(name: string): PhaseRecord | null {
    return this.state.phases.find((p) => p.name === name) ?? null
  }

  /** Frees the decoded tensors (restore does so itself). */
  dispose(): void {
    for (const t of this.made) t.dispose()
    this.made.length = 0
  }

  get activePhase(): string {
    return this.state.active.name
  }

  get phaseStartStreams(): Record<string, RngState> {
    return this.state.phaseStartStreams
  }

  /**
   * Puts the run where the checkpoint was written: called once the active phase has begun again
   * (its optimizer built from the same stream positions). Restores variables, optimizer state,
   * every trick's and the task's state, every stream, and the run's records.
   */
  async restore(run: Run): Promise<void> {
    const s = this.state
    const where = `checkpoint ${this.checkpoint.path}`
    const active = run.active
    if (!active || active.name !== s.active.name) throw new CheckpointError(`${where} was written in phase "${s.active.name}", not "${active?.name}"`)
    try {
      const variables = savedVariables(run)
      if (variables.length !== s.variables.values.length) {
        throw new CheckpointError(`${where} holds ${s.variables.values.length} variables, but this run has ${variables.length} at this point; the task or the tricks build different models`)
      }
      const rename = new Map<string, string>()
      variables.forEach((v, i) => {
        const saved = s.variables.values[i] as tf.Tensor
        if (saved.dtype !== v.dtype || saved.shape.join() !== v.shape.join()) {
          throw new CheckpointError(`${where}: variable ${i} ("${v.name}") is ${v.dtype}[${v.shape.join(', ')}] here but ${saved.dtype}[${saved.shape.join(', ')}] in the checkpoint`)
        }
        v.assign(saved)
        rename.set(s.variables.names[i] as string, v.name)
      })
      await restoreOptimizer(active.optimizer, s.optimizer, (name) => renameWeight(name, rename))

      for (const t of run.driver.tricks) {
        const saved = s.tricks[t.name]
        if (t.state && saved === undefined) throw new CheckpointError(`${where} holds no state for trick "${t.name}"`)
        if (saved !== undefined) {
          if (!t.loadState) throw new CheckpointError(`trick "${t.name}" has state in ${where} but no loadState()`)
          t.loadState(saved)
        }
      }
      const instance = run.instance
      if (s.task !== null) {
        if (!instance.loadState) throw new CheckpointError(`task "${run.o.task.name}" has state in ${where} but its instance has no loadState()`)
        instance.loadState(s.task)
      }
      run.streams.loadState(s.streams)
      run.phaseStartStreams = s.phaseStartStreams
      run.step = s.step
      run.stopReason = s.stopReason
      run.reachedAt = s.reachedAt
      run.trainMs = s.trainMs
      run.evalMs = s.evalMs
      run.losses.splice(0, run.losses.length, ...Array.from(s.losses))
      run.terms.loadState({ ...s.terms, values: Object.fromEntries(Object.entries(s.terms.values).map(([k, v]) => [k, Array.from(v)])) })
      run.history.splice(0, run.history.length, ...s.history)
      run.phases.splice(0, run.phases.length, ...s.phases)
      active.startStep = s.active.startStep
      active.stepsTaken = s.active.stepsTaken
      run.progress.lastAt = s.progressAt
    } finally {
      for (const t of this.made) t.dispose()
      this.made.length = 0
    }
  }
}

/** Frees what a resume point decoded, when the run ends before reaching it. */
export function disposeResumePoint(point: ResumePoint | null): void {
  point?.dispose()
}

/** `<old variable name>/<slot>` → `<new variable name>/<slot>`; names of no variable stay. */
function renameWeight(name: string, rename: ReadonlyMap<string, string>): string {
  if (rename.has(name)) return rename.get(name) as string
  for (let cut = name.lastIndexOf('/'); cut > 0; cut = name.lastIndexOf('/', cut - 1)) {
    const to = rename.get(name.slice(0, cut))
    if (to !== undefined) return `${to}${name.slice(cut)}`
  }
  return name
}
