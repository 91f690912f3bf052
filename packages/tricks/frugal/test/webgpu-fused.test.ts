import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { NonFiniteLossError, createRng, syntheticClassification, train, useBackend, type TaskDefinition, type TaskInstance, type Trick } from '@converge/core'
import { countWebgpuCalls, resolveDawnSettings } from '@converge/core/backends'
import { findWebgpuAdapter } from '@converge/core/testing'
import { FrugalOptimizer, frugal, type FrugalOptimizerConfig, type StateFreeRule, type Subspace } from '../src/index.js'
import { gradMap, localName, makeVariables, randomGrads } from './helpers.js'

const found = await findWebgpuAdapter()
/** Dawn's null backend accepts every call but runs no shader: nothing to compare there. */
const runsShaders = found !== null && !resolveDawnSettings(found.options).flags.includes('backend=null')
const skipReason = !found ? 'no WebGPU adapter can be created here' : 'the adapter is Dawn backend=null, which runs no shaders'
const webgpu = (): Promise<unknown> => useBackend('webgpu', { webgpu: found!.options })

/** Two projected matrices (one per projector side), an output head and a bias (always Adam). */
const SHAPES = { 'l1/kernel': [12, 9], 'l2/kernel': [6, 11], 'head/kernel': [9, 5], 'l1/bias': [7] }
const STEPS = 50
/** Refreshes at steps 1, 21 and 41. */
const UPDATE_GAP = 20

const base = (subspace: Subspace, stateFree: StateFreeRule): FrugalOptimizerConfig => ({
  learningRate: 0.01,
  subspace,
  stateFree,
  density: 0.4,
  updateGap: UPDATE_GAP,
  weightDecay: 0.05,
  projLrScale: 0.5,
  stateFreeLrScale: 0.7,
  seed: 3,
})

/** A tensor's contents, readable on any backend. */
interface Stored {
  readonly data: Float32Array | Int32Array
  readonly shape: number[]
  readonly dtype: 'float32' | 'int32'
}
/** Parameters as `<local>`, FRUGAL's state as `<local>/<field>`, its counters as `frugal/<field>`, and `iter`: getWeights' order after the parameters. */
type Values = Record<string, Stored>

interface Trace {
  readonly values: Values
  readonly numTensors: number[]
  readonly fused: { fused: number; fallback: number }
}

/**
 * `steps` FRUGAL steps on seeded gradients (tiny, huge and sparse ones at some steps), the learning
 * rate changed at step 30 as the loop would; `start` restores a state first (getWeights form).
 */
async function frugalTrace(backend: 'cpu' | 'webgpu', config: FrugalOptimizerConfig, steps = STEPS, start?: Values): Promise<Trace> {
  if (backend === 'cpu') await useBackend('cpu')
  else await webgpu()
  const vars = makeVariables(SHAPES, 'frugal webgpu init', backend)
  const opt = new FrugalOptimizer(config, vars)
  if (start) {
    const state = stateFor(vars, start)
    await opt.setWeights(state)
    tf.dispose(state.map((s) => s.tensor))
  }
  const rng = createRng('frugal webgpu gradients')
  const numTensors: number[] = []
  for (let step = 1; step <= steps; step++) {
    if (step === 30) opt.setLearningRate(0.003)
    const scale = step === 5 ? 1e-6 : step === 9 ? 1e3 : 1
    const values = randomGrads(vars, rng, scale)
    if (step === 12) for (const v of Object.values(values)) for (let i = 0; i < v.length; i += 2) v[i] = 0
    const grads = gradMap(vars, values)
    opt.applyGradients(grads)
    tf.dispose(Object.values(grads))
    numTensors.push(tf.memory().numTensors)
  }
  const values = await readState(opt, vars)
  const fused = { ...opt.fusedSteps }
  opt.dispose()
  tf.dispose(vars)
  return { values, numTensors, fused }
}

async function readState(opt: FrugalOptimizer, vars: readonly tf.Variable[]): Promise<Values> {
  const out: Values = {}
  const store = async (t: tf.Tensor): Promise<Stored> => {
    const dtype = t.dtype === 'int32' ? 'int32' : 'float32'
    const data = await t.data()
    return { data: dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data), shape: [...t.shape], dtype }
  }
  for (const v of vars) out[localName(v.name)] = await store(v)
  for (const { name, tensor } of await opt.getWeights()) {
    const own = name.startsWith('frugal/') || name === 'iter' || name.endsWith('/active') // fresh scalars; the rest are the optimizer's variables
    out[own && !name.endsWith('/active') ? name : localName(name)] = await store(tensor)
    if (own) tensor.dispose()
  }
  return out
}

/** `values`' state as setWeights takes it, for the variables `vars` (same local names). */
function stateFor(vars: readonly tf.Variable[], values: Values): { name: string; tensor: tf.Tensor }[] {
  return Object.entries(values).flatMap(([key, s]) => {
    if (vars.some((v) => localName(v.name) === key)) return [] // a parameter, not state
    const owner = vars.find((v) => key.startsWith(`${localName(v.name)}/`))
    const name = owner ? `${owner.name}${key.slice(localName(owner.name).length)}` : key
    return [{ name, tensor: tf.tensor(s.data, s.shape, s.dtype) }]
  })
}

/** Absolute tolerance, relative above 1; a NaN anywhere fails. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length)
  const bad: string[] = []
  for (let i = 0; i < expected.length; i++) {
    const tol = 2e-5 * Math.max(1, Math.abs(expected[i]!))
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) bad.push(`[${i}] ${actual[i]} vs ${expected[i]}`)
  }
  expect(bad.slice(0, 5), `${what}: ${bad.length} of ${expected.length} differ`).toEqual([])
}

function expectSameState(gpu: Values, cpu: Values, label: string): void {
  expect(Object.keys(gpu).sort(), label).toEqual(Object.keys(cpu).sort())
  for (const k of Object.keys(cpu)) {
    expect(gpu[k]!.shape, `${label}: shape of ${k}`).toEqual(cpu[k]!.shape)
    expectClose(gpu[k]!.data, cpu[k]!.data, `${label}: ${k}`)
  }
}

describe.skipIf(!runsShaders)(`FRUGAL's fused kernels on webgpu (${runsShaders ? JSON.stringify(found!.options) : skipReason})`, () => {
  const cases: [Subspace, StateFreeRule][] = [
    ['columns', 'signsgd'],
    ['columns', 'sgd'],
    ['randk', 'signsgd'],
    ['randk', 'sgd'],
    ['blocks', 'signsgd'],
    ['blocks', 'sgd'],
    ['random', 'signsgd'],
    ['random', 'sgd'],
    ['random', 'none'],
  ]
  it.each(cases)(`%s subspace, %s state-free: equals the CPU backend to float32 tolerance after ${STEPS} steps and 3 refreshes`, async (subspace, stateFree) => {
    const config = base(subspace, stateFree)
    const cpu = await frugalTrace('cpu', config)
    const gpu = await frugalTrace('webgpu', config)
    expect(cpu.fused).toEqual({ fused: 0, fallback: STEPS })
    expect(gpu.fused).toEqual({ fused: STEPS, fallback: 0 })
    expectSameState(gpu.values, cpu.values, `${subspace}/${stateFree}`)
    // Tensors are flat from step 2 on (the first step creates the moments), refreshes included.
    expect(new Set(gpu.numTensors.slice(1)).size, `numTensors per step: ${gpu.numTensors.join(',')}`).toBe(1)
  })

  it("svd subspace (both rules): equals the CPU backend over 49 steps from a basis the CPU chose (webgpu cannot refresh 'svd': it reads the gradient synchronously)", async () => {
    for (const stateFree of ['signsgd', 'sgd'] as const) {
      const config = base('svd', stateFree)
      await useBackend('cpu')
      // One CPU step chooses the svd basis; both backends continue from that state without another refresh.
      const vars = makeVariables(SHAPES, 'frugal webgpu init', 'svd-start')
      const first = new FrugalOptimizer(config, vars)
      const rng = createRng('svd start')
      const grads = gradMap(vars, randomGrads(vars, rng))
      first.applyGradients(grads)
      tf.dispose(Object.values(grads))
      const start = await readState(first, vars)
      first.dispose()
      tf.dispose(vars)
      const long = { ...config, updateGap: 1000 }
      const cpu = await frugalTrace('cpu', long, STEPS - 1, start)
      const gpu = await frugalTrace('webgpu', long, STEPS - 1, start)
      expect(gpu.fused).toEqual({ fused: STEPS - 1, fallback: 0 })
      expectSameState(gpu.values, cpu.values, `svd/${stateFree}`)
      expect(new Set(gpu.numTensors).size).toBe(1)
    }
  })

  it('a non-finite loss leaves parameters and moments untouched, for every subspace; a finite one lets the step through', async () => {
    await webgpu()
    for (const subspace of ['columns', 'randk', 'blocks', 'random'] as const) {
      const vars = makeVariables(SHAPES, 'guard init', `guard-${subspace}`)
      const opt = new FrugalOptimizer(base(subspace, 'signsgd'), vars)
      const rng = createRng('guard grads')
      const step = (loss?: tf.Tensor) => {
        const grads = gradMap(vars, randomGrads(vars, rng))
        if (loss) {
          expect(opt.canGuardStep(grads)).toBe(true)
          opt.guardNextStep(loss)
        }
        opt.applyGradients(grads)
        tf.dispose(Object.values(grads))
      }
      const first = gradMap(vars, randomGrads(vars, rng))
      expect(opt.canGuardStep(first), 'the first step refreshes the subspace').toBe(false)
      tf.dispose(Object.values(first))
      for (let i = 0; i < 3; i++) step()
      for (const bad of [NaN, Infinity, -Infinity]) {
        const before = await readState(opt, vars)
        const loss = tf.tensor1d([bad, 1]) // the loss first, as the loop's readout holds it
        step(loss)
        const after = await readState(opt, vars)
        loss.dispose()
        for (const k of Object.keys(before).filter((k) => !k.startsWith('frugal/') && k !== 'iter')) {
          expect(Array.from(after[k]!.data), `${subspace}, loss ${bad}: ${k}`).toEqual(Array.from(before[k]!.data))
        }
      }
      const before = await readState(opt, vars)
      const loss = tf.scalar(0.5)
      step(loss)
      loss.dispose()
      const after = await readState(opt, vars)
      for (const v of vars) expect(Array.from(after[localName(v.name)]!.data), `${subspace}: ${v.name} after a finite loss`).not.toEqual(Array.from(before[localName(v.name)]!.data))
      opt.dispose()
      tf.dispose(vars)
    }
  })

  it('a gradient that tfjs-webgpu stores as int32 (an int→float cast) takes the tfjs-op path, with the same result as the CPU backend', async () => {
    const run = async (backend: 'cpu' | 'webgpu') => {
      if (backend === 'cpu') await useBackend('cpu')
      else await webgpu()
      const vars = makeVariables({ 'l1/kernel': [4, 3] }, 'cast init', `cast-${backend}`)
      const opt = new FrugalOptimizer(base('columns', 'signsgd'), vars)
      for (let i = 0; i < 3; i++) {
        const grad = tf.cast(tf.tensor2d(Int32Array.from({ length: 12 }, (_, k) => ((k * 7 + i) % 5) - 2), [4, 3], 'int32'), 'float32')
        opt.applyGradients({ [vars[0]!.name]: grad })
        grad.dispose()
      }
      const out = { p: Array.from(await vars[0]!.data()), fused: { ...opt.fusedSteps } }
      opt.dispose()
      tf.dispose(vars)
      return out
    }
    const cpu = await run('cpu')
    const gpu = await run('webgpu')
    expect(gpu.fused).toEqual({ fused: 0, fallback: 3 })
    expectClose(gpu.p, cpu.p, 'parameter after 3 steps')
  })

  it('fewer dispatches per step than the same optimizer through tfjs ops, for every subspace', async () => {
    await webgpu()
    const counter = countWebgpuCalls()
    try {
      for (const subspace of ['columns', 'randk', 'blocks', 'random'] as const) {
        const perStep = async (fused: boolean) => {
          const vars = makeVariables(SHAPES, 'count init', `count-${subspace}-${fused}`)
          const opt = new FrugalOptimizer(base(subspace, 'signsgd'), vars)
          opt.fusedKernels = fused
          const rng = createRng('count grads')
          let n = 0
          for (let i = 0; i < 3; i++) {
            const grads = gradMap(vars, randomGrads(vars, rng))
            await Promise.all(Object.values(grads).map((g) => g.data())) // uploaded before counting
            counter.reset()
            opt.applyGradients(grads)
            n = counter.counts.dispatches
            tf.dispose(Object.values(grads))
            await vars[0]!.data()
          }
          expect(opt.fusedSteps[fused ? 'fused' : 'fallback']).toBe(3)
          opt.dispose()
          tf.dispose(vars)
          return n
        }
        const fused = await perStep(true)
        const ops = await perStep(false)
        // One per variable (blocks: inactive tensors with the state-free rule too), two kernels and three matmuls per projected svd/random variable.
        const expected = subspace === 'random' ? 2 + 2 * 5 : 4
        expect(fused, `${subspace}: fused dispatches`).toBe(expected)
        expect(ops, `${subspace}: tfjs-op dispatches (fused: ${fused})`).toBeGreaterThan(3 * fused)
      }
    } finally {
      counter.stop()
    }
  })
})

/** The task, with every forward pass keeping a copy of the weights it ran on (read after the run). */
function recordingTask(seen: tf.Tensor[][]): TaskDefinition {
  const base = syntheticClassification({ features: 6, hidden: 10, trainSize: 64, evalSize: 16, batchSize: 16 }) as unknown as TaskDefinition
  return {
    ...base,
    async create(args) {
      const inst = (await base.create(args)) as TaskInstance
      const forward = inst.forward.bind(inst)
      inst.forward = (batch, ctx) => {
        seen.push(inst.variables.map((v) => tf.keep(tf.mul(v, 1))))
        return forward(batch, ctx)
      }
      return inst
    },
  }
}

/** A loss term that is NaN from step `at` on (1-based). */
const poisonAt = (at: number): Trick => ({
  name: 'poison',
  loss: (ctx, parts) => ({ ...parts, bad: ctx.step + 1 >= at ? tf.scalar(Number.NaN) : tf.scalar(0) }),
})

describe.skipIf(!runsShaders)(`train() with FRUGAL on webgpu (${runsShaders ? JSON.stringify(found!.options) : skipReason})`, () => {
  const trick = () => frugal({ subspace: 'columns', density: 0.5, updateGap: 5, seed: 1 })

  it('reads the loss one step late: a non-finite loss at step 7 stops the run there, and the weights it produced are never used', async () => {
    process.env.CONVERGE_DAWN_FLAGS ??= found!.env.CONVERGE_DAWN_FLAGS
    await webgpu()
    const before = tf.memory().numTensors
    const seen: tf.Tensor[][] = []
    const t = trick()
    const err = await train({ task: recordingTask(seen), tricks: [t, poisonAt(7)], maxSteps: 20, evalEvery: 20, backend: 'webgpu', seed: 2 }).catch((e) => e)
    expect(err).toBeInstanceOf(NonFiniteLossError)
    expect(err.step).toBe(7)
    // Step 8's forward ran before step 7's loss was read, on the weights from before step 7 (its
    // update skipped on the GPU); steps 1-6, a refresh at 6 included, changed the weights.
    expect(seen).toHaveLength(8)
    const weights = await Promise.all(seen.map((ws) => Promise.all(ws.map(async (w) => Array.from(await w.data())))))
    for (let s = 1; s < 7; s++) expect(weights[s], `step ${s + 1} runs on step ${s}'s update`).not.toEqual(weights[s - 1])
    expect(weights[7]).toEqual(weights[6])
    expect(t.optimizerInstance!.fusedSteps.fallback).toBe(0)
    tf.dispose(seen.flat())
    expect(tf.memory().numTensors).toBe(before)
  })

  it('records the same losses as the CPU backend over 30 steps (6 refreshes)', async () => {
    const task = syntheticClassification({ features: 6, hidden: 10, trainSize: 64, evalSize: 16, batchSize: 16 })
    const gpu = await train({ task: task as never, tricks: [trick()], maxSteps: 30, evalEvery: 30, backend: 'webgpu', seed: 4 })
    const cpu = await train({ task: task as never, tricks: [trick()], maxSteps: 30, evalEvery: 30, backend: 'cpu', seed: 4 })
    expect(gpu.losses).toHaveLength(30)
    gpu.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]!), `step ${i + 1}: ${l} vs ${cpu.losses[i]}`).toBeLessThanOrEqual(1e-4 * Math.max(1, cpu.losses[i]!)))
  })
})
