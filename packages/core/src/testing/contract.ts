import * as tf from '@tensorflow/tfjs'
import type { BackendName } from '../backend.js'
import { ContractError } from '../errors.js'
import type { RunResult } from '../result.js'
import type { TaskDefinition } from '../task.js'
import { syntheticClassification } from '../tasks/synthetic-classification.js'
import { train } from '../train.js'
import { HOOK_ORDER, type HookName, type Trick } from '../trick.js'

/** What the contract checks need: a fresh trick per run, and a task it fits. */
export interface TrickContractOptions {
  /** Makes a fresh trick; called once per run. */
  readonly makeTrick: () => Trick
  /** The task to train (default: a small synthetic classification task). */
  readonly task?: () => TaskDefinition
  /** Steps per run for the leak, order and determinism checks (default 12). */
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

function fail(check: string, trick: string, detail: string): never {
  throw new ContractError(`trick contract "${check}" failed for "${trick}": ${detail}`)
}

/**
 * `tf.memory().numTensors` is flat from the second step on (optimizer slots appear at the first),
 * and back to where it started once the run has ended (the run frees task, optimizer and trick).
 */
export async function checkNoTensorLeak(options: TrickContractOptions): Promise<{ perStep: number[]; before: number; after: number }> {
  const o = resolved(options)
  const trick = options.makeTrick()
  const perStep: number[] = []
  await train({ task: o.task(), tricks: [trick], maxSteps: 1, backend: o.backend, seed: o.seed }) // warm kernels and caches
  const before = tf.memory().numTensors
  await train({
    task: o.task(),
    tricks: [options.makeTrick()],
    maxSteps: o.steps,
    evalEvery: o.evalEvery,
    backend: o.backend,
    seed: o.seed,
    onStep: () => perStep.push(tf.memory().numTensors),
  })
  const after = tf.memory().numTensors
  const steady = perStep.slice(1)
  if (steady.some((n) => n !== steady[0])) fail('no tensor leak', trick.name, `numTensors per step: ${perStep.join(', ')}`)
  if (after !== before) fail('no tensor leak', trick.name, `numTensors was ${before} before the run and ${after} after it`)
  return { perStep, before, after }
}

/** Two runs with the same seed give identical losses and evaluations. */
export async function checkDeterminism(options: TrickContractOptions): Promise<RunResult[]> {
  const o = resolved(options)
  const run = () => train({ task: o.task(), tricks: [options.makeTrick()], maxSteps: o.steps, evalEvery: o.evalEvery, backend: o.backend, seed: o.seed })
  const a = await run()
  const b = await run()
  const name = a.tricks[0]?.name ?? '?'
  const i = a.losses.findIndex((l, k) => !Object.is(l, b.losses[k]))
  if (i >= 0 || a.losses.length !== b.losses.length) fail('determinism', name, `losses differ at step ${i + 1}: ${a.losses[i]} vs ${b.losses[i]}`)
  if (JSON.stringify(a.history.map((h) => h.metrics)) !== JSON.stringify(b.history.map((h) => h.metrics))) {
    fail('determinism', name, 'evaluation metrics differ between two runs with the same seed')
  }
  return [a, b]
}

/** The hook calls this trick received, in the exact order the documented loop makes them. */
export function expectedHookSequence(trick: Trick, task: TaskDefinition, result: RunResult, updatesPerBatch = 1): HookName[] {
  const has = (h: HookName) => typeof trick[h] === 'function'
  const rl = task.capabilities.includes('rewards')
  const evalSteps = new Set(result.history.map((h) => h.step))
  const seq: HookName[] = []
  if (has('setup')) seq.push('setup')
  if (has('optimizer')) seq.push('optimizer')
  const perBatch = new Set<HookName>(['sampleSource', 'rewards'])
  const inStep = HOOK_ORDER.filter((h) => has(h) && !['setup', 'optimizer', 'afterStep', 'evaluate', 'end'].includes(h) && (h !== 'rewards' || rl))
  const firstStep = result.history[0]?.step ?? 0
  if (has('evaluate') && evalSteps.has(firstStep)) seq.push('evaluate')
  for (let s = firstStep + 1; s <= result.steps; s++) {
    const newBatch = (s - firstStep - 1) % updatesPerBatch === 0
    seq.push(...inStep.filter((h) => newBatch || !perBatch.has(h)))
    if (has('afterStep')) seq.push('afterStep')
    if (has('evaluate') && evalSteps.has(s)) seq.push('evaluate')
  }
  if (has('end')) seq.push('end')
  return seq
}

/** Hooks fire in the documented order, each at the documented times. */
export async function checkHookOrder(options: TrickContractOptions): Promise<void> {
  const o = resolved(options)
  const trick = options.makeTrick()
  const task = o.task()
  const result = await train({ task, tricks: [trick], maxSteps: o.steps, evalEvery: o.evalEvery, backend: o.backend, seed: o.seed, trace: true })
  const got = (result.trace ?? []).map((e) => e.hook)
  const want = expectedHookSequence(trick, task, result, options.updatesPerBatch ?? 1)
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    const i = got.findIndex((h, k) => h !== want[k])
    fail('hook order', trick.name, `call ${i}: got "${got[i]}", expected "${want[i]}" (got ${got.length} calls, expected ${want.length})`)
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
  if (!Number.isFinite(last) || !improved) fail('trainable', trick.name, `${metric} went from ${first} to ${last} in ${result.steps} steps`)
  return result
}

/** state() survives a JSON round trip and loadState() accepts it (when the trick has state). */
export async function checkStateRoundTrip(options: TrickContractOptions): Promise<void> {
  const o = resolved(options)
  const trick = options.makeTrick()
  if (!trick.state) return
  await train({ task: o.task(), tricks: [trick], maxSteps: o.steps, evalEvery: o.evalEvery, backend: o.backend, seed: o.seed })
  const saved = JSON.parse(JSON.stringify(trick.state())) as Record<string, unknown>
  if (!trick.loadState) fail('state round trip', trick.name, 'has state() but no loadState()')
  const fresh = options.makeTrick()
  fresh.loadState!(saved)
  const again = JSON.stringify(fresh.state!())
  if (again !== JSON.stringify(saved)) fail('state round trip', trick.name, `loadState(state()) gives ${again}, expected ${JSON.stringify(saved)}`)
}
