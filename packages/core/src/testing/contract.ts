import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { BackendName } from '../backends/use-backend.js'
import { ContractError } from '../errors.js'
import { HOOKS, HOOK_NAMES, type HookName } from '../hooks/table.js'
import { train } from '../loop/train.js'
import type { RunResult } from '../result.js'
import type { TaskDefinition } from '../task.js'
import { syntheticClassification } from '../tasks/synthetic-classification.js'
import type { Trick, TrickState } from '../trick.js'
import type { TrainOptions } from '../train-options.js'
import { resultFingerprint } from './resume.js'

/** What the contract checks need: a fresh trick per run, and a task it fits. */
export interface TrickContractOptions {
  /** Makes a fresh trick; called once per run. */
  readonly makeTrick: () => Trick
  /** The task to train (default: a small synthetic classification task). */
  readonly task?: () => TaskDefinition
  /** Steps per run for the leak, order, state and determinism checks (default 12); include any setup phase. */
  readonly steps?: number
  /** Steps for the trainability check (default 80). */
  readonly trainableSteps?: number
  readonly evalEvery?: number
  readonly backend?: BackendName
  readonly seed?: number
  /** The task's updatesPerBatch, when it reuses batches (default 1). */
  readonly updatesPerBatch?: number
}

const defaultTask = (): TaskDefinition =>
  syntheticClassification({ features: 8, hidden: 16, trainSize: 512, evalSize: 256, batchSize: 16 }) as unknown as TaskDefinition

function resolved(o: TrickContractOptions) {
  return {
    task: o.task ?? defaultTask,
    steps: o.steps ?? 12,
    trainableSteps: o.trainableSteps ?? 80,
    evalEvery: o.evalEvery ?? 4,
    backend: o.backend ?? ('auto' as BackendName),
    seed: o.seed ?? 7,
  }
}

type Resolved = ReturnType<typeof resolved>

function runWith(o: Resolved, tricks: Trick[], extra: Partial<TrainOptions> = {}): Promise<RunResult> {
  return train({ task: o.task(), tricks, maxSteps: o.steps, evalEvery: o.evalEvery, backend: o.backend, seed: o.seed, ...extra })
}

function fail(check: string, who: string, detail: string): never {
  throw new ContractError(`trick contract "${check}" failed for ${who}: ${detail}`)
}

/** Tensor counts per step and before/after a run of `tricks` (after one identical warm-up run). */
async function tensorCounts(o: Resolved, make: () => Trick[]) {
  await runWith(o, make()) // warm kernels and caches with a run of the same length
  const before = tf.memory().numTensors
  const perStep: number[] = []
  let phaseSteps = 0
  await runWith(o, make(), {
    onStep: (r) => {
      if (r.phase.name !== 'main') phaseSteps++
      perStep.push(tf.memory().numTensors)
    },
  })
  return { perStep, before, after: tf.memory().numTensors, phaseSteps }
}

function leakProblem(c: Awaited<ReturnType<typeof tensorCounts>>): string | null {
  // Optimizer slots appear at the first step of each phase; after that the count must stay flat.
  const steady = c.perStep.slice(c.phaseSteps + 1)
  if (steady.some((n) => n !== steady[0])) return `numTensors per step: ${c.perStep.join(', ')}`
  if (c.after !== c.before) return `numTensors was ${c.before} before the run and ${c.after} after it`
  return null
}

/**
 * `tf.memory().numTensors` is flat from the second main-phase step on (optimizer slots appear at
 * the first), and back to where it started once the run has ended. The task alone is checked
 * first, so a leaking task is blamed on the task, not the trick.
 */
export async function checkNoTensorLeak(options: TrickContractOptions): Promise<{ perStep: number[]; before: number; after: number; phaseSteps: number }> {
  const o = resolved(options)
  const name = options.makeTrick().name
  const baseline = leakProblem(await tensorCounts(o, () => []))
  if (baseline) fail('no tensor leak', `the task (no trick), before testing "${name}"`, baseline)
  const counts = await tensorCounts(o, () => [options.makeTrick()])
  const problem = leakProblem(counts)
  if (problem) fail('no tensor leak', `"${name}"`, problem)
  return counts
}

function firstDifference(a: RunResult, b: RunResult): string | null {
  const i = a.losses.findIndex((l, k) => !Object.is(l, b.losses[k]))
  if (i >= 0 || a.losses.length !== b.losses.length) return `losses differ at step ${i + 1}: ${a.losses[i]} vs ${b.losses[i]}`
  if (JSON.stringify(a.history.map((h) => h.metrics)) !== JSON.stringify(b.history.map((h) => h.metrics))) {
    return 'evaluation metrics differ between two runs with the same seed'
  }
  return null
}

/** Two runs with the same seed give identical losses and evaluations (and the task alone does, when they differ). */
export async function checkDeterminism(options: TrickContractOptions): Promise<RunResult[]> {
  const o = resolved(options)
  const a = await runWith(o, [options.makeTrick()])
  const b = await runWith(o, [options.makeTrick()])
  const diff = firstDifference(a, b)
  if (diff) {
    const baseline = firstDifference(await runWith(o, []), await runWith(o, []))
    fail('determinism', baseline ? 'the task (no trick)' : `"${a.tricks[0]?.name ?? '?'}"`, baseline ?? diff)
  }
  return [a, b]
}

/**
 * The hook calls a single trick receives in a run, in the exact order the hook table and the loop
 * define: setup (with its phases' step hooks), optimizer, then per main step the step and batch
 * hooks (batch hooks once per `updatesPerBatch` steps; `rewards` on steps that drew rollouts),
 * evaluation hooks at every evaluated step, and end.
 */
export function expectedHookSequence(trick: Trick, result: RunResult, options: { updatesPerBatch?: number; rolloutSteps?: ReadonlySet<number> } = {}): HookName[] {
  const has = (h: HookName) => typeof trick[h] === 'function'
  const upb = options.updatesPerBatch ?? 1
  const evalSteps = new Set(result.history.map((h) => h.step))
  const evalHooks = HOOK_NAMES.filter((h) => has(h) && HOOKS[h].when === 'evaluation')
  const phaseHooks = HOOK_NAMES.filter((h) => has(h) && HOOKS[h].when === 'step' && HOOKS[h].phases)
  const seq: HookName[] = []
  if (has('setup')) seq.push('setup')
  for (const p of result.phases.filter((p) => p.name !== 'main')) {
    for (let s = p.startStep; s < p.endStep; s++) seq.push(...phaseHooks)
  }
  if (has('optimizer')) seq.push('optimizer')
  const main = result.phases.find((p) => p.name === 'main')
  const start = main?.startStep ?? 0
  if (evalSteps.has(start)) seq.push(...evalHooks)
  for (let s = start + 1; s <= result.steps; s++) {
    const newBatch = (s - start - 1) % upb === 0
    for (const h of HOOK_NAMES) {
      if (!has(h) || !(HOOKS[h].when === 'step' || HOOKS[h].when === 'batch')) continue
      if (HOOKS[h].when === 'batch' && !newBatch) continue
      if (h === 'rewards' && !options.rolloutSteps?.has(s)) continue
      seq.push(h)
    }
    if (evalSteps.has(s)) seq.push(...evalHooks)
  }
  if (has('end')) seq.push('end')
  return seq
}

/** Hooks fire in the documented order, each at the documented times. */
export async function checkHookOrder(options: TrickContractOptions): Promise<void> {
  const o = resolved(options)
  const trick = options.makeTrick()
  const rolloutSteps = new Set<number>()
  const result = await runWith(o, [trick], { trace: true, onStep: (r) => void (r.rollouts && r.phase.name === 'main' && rolloutSteps.add(r.step)) })
  const got = (result.trace ?? []).map((e) => e.hook)
  const want = expectedHookSequence(trick, result, { updatesPerBatch: options.updatesPerBatch ?? 1, rolloutSteps })
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    const i = got.findIndex((h, k) => h !== want[k])
    fail('hook order', `"${trick.name}"`, `call ${i}: got "${got[i]}", expected "${want[i]}" (got ${got.length} calls, expected ${want.length})`)
  }
}

/** With the trick, the task still learns: the target metric improves over its value at the start. */
export async function checkTrainable(options: TrickContractOptions): Promise<RunResult> {
  const o = resolved(options)
  const trick = options.makeTrick()
  const result = await train({ task: o.task(), tricks: [trick], maxSteps: o.trainableSteps, evalEvery: o.trainableSteps, backend: o.backend, seed: o.seed })
  const { metric, direction } = result.target
  const first = result.history[0]?.metrics[metric] as number
  const last = result.history.at(-1)?.metrics[metric] as number
  const improved = direction === 'max' ? last > first : last < first
  if (!Number.isFinite(last) || !improved) fail('trainable', `"${trick.name}"`, `${metric} went from ${first} to ${last} in ${result.steps} steps`)
  return result
}

/** A state snapshot as plain JSON: tensors become `{ tensor: { dtype, shape, values } }`. */
export function canonicalState(state: unknown): string {
  return JSON.stringify(state, (_key, value: unknown) =>
    value instanceof tf.Tensor ? { tensor: { dtype: value.dtype, shape: value.shape, values: Array.from(value.dataSync()) } } : value,
  )
}

function disposeState(state: unknown): void {
  if (state instanceof tf.Tensor) state.dispose()
  else if (Array.isArray(state)) state.forEach(disposeState)
  else if (state && typeof state === 'object') Object.values(state).forEach(disposeState)
}

/**
 * The state a trick holds at the end of a run (read before the run frees anything) loads into a
 * fresh trick, which then reports the same state. Tensors in snapshots are compared by value.
 */
export async function checkStateRoundTrip(options: TrickContractOptions): Promise<void> {
  const o = resolved(options)
  const trick = options.makeTrick()
  if (!trick.state) return
  if (!trick.loadState) fail('state round trip', `"${trick.name}"`, 'has state() but no loadState()')
  let saved: TrickState | null = null
  await runWith(o, [trick], { onEnd: () => void (saved = trick.state!()) })
  const fresh = options.makeTrick()
  try {
    fresh.loadState!(saved as unknown as TrickState)
    const again = fresh.state!()
    const [want, got] = [canonicalState(saved), canonicalState(again)]
    disposeState(again)
    if (got !== want) fail('state round trip', `"${trick.name}"`, `loadState(state()) gives ${got.slice(0, 200)}, expected ${want.slice(0, 200)}`)
  } finally {
    disposeState(saved)
    fresh.dispose?.()
  }
}

/**
 * The trick's state survives a real checkpoint: a run interrupted after its second checkpoint and
 * resumed from the files in a fresh run (fresh trick, fresh task) gives the losses, metrics and
 * steps-to-target of an uninterrupted run, bit for bit. Fails when a trick keeps something that
 * changes training outside `state()`, or its `state()` holds what a checkpoint cannot store.
 */
export async function checkCheckpointResume(options: TrickContractOptions): Promise<{ resumedFrom: number; steps: number }> {
  const o = resolved(options)
  const name = options.makeTrick().name
  const everySteps = Math.max(1, Math.floor(o.steps / 3))
  const stopAt = Math.max(everySteps + 1, Math.min(o.steps - 1, 2 * everySteps + 1))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-contract-'))
  try {
    const reference = await runWith(o, [options.makeTrick()])
    const checkpoint = { dir, everySteps }
    const interrupted = await runWith(o, [options.makeTrick()], {
      checkpoint,
      onStep: (r) => {
        if (r.step === stopAt) throw new Error('interrupted')
      },
    }).then(
      () => null,
      (e: unknown) => e,
    )
    if (!(interrupted instanceof Error) || interrupted.message !== 'interrupted') {
      fail('checkpoint resume', `"${name}"`, `the run to interrupt at step ${stopAt} ${interrupted ? `failed: ${String(interrupted)}` : 'finished without reaching it'}`)
    }
    const resumed = await runWith(o, [options.makeTrick()], { checkpoint, resume: true })
    if (!resumed.resumedFrom) fail('checkpoint resume', `"${name}"`, `no checkpoint was written in the first ${stopAt} steps (every ${everySteps})`)
    const [want, got] = [resultFingerprint(reference), resultFingerprint(resumed)]
    if (got !== want) {
      const i = reference.losses.findIndex((l, k) => !Object.is(l, resumed.losses[k]))
      fail(
        'checkpoint resume',
        `"${name}"`,
        i >= 0
          ? `resumed from step ${resumed.resumedFrom.step}, the loss differs at step ${i + 1}: ${resumed.losses[i]} vs ${reference.losses[i]} uninterrupted; state() misses something that changes training`
          : `resumed from step ${resumed.resumedFrom.step}, the losses match but metrics, steps-to-target or phases differ`,
      )
    }
    return { resumedFrom: resumed.resumedFrom.step, steps: resumed.steps }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
