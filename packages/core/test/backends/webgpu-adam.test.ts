import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { createOptimizer, createRng, syntheticClassification, train, useBackend } from '../../src/index.js'
import { WebgpuAdamOptimizer, countWebgpuCalls, resolveDawnSettings } from '../../src/backends/index.js'
import { restoreOptimizer, snapshotOptimizer } from '../../src/checkpoint/optimizer-state.js'
import { expectClose } from './kernel-check.js'
import { findAdapter } from './webgpu-adapter.js'

const found = await findAdapter()
/** Dawn's null backend accepts every call but runs no shader: nothing to compare there. */
const runsShaders = found !== null && !resolveDawnSettings(found.options).flags.includes('backend=null')
const skipReason = !found ? 'no WebGPU adapter can be created here' : 'the adapter is Dawn backend=null, which runs no shaders'
const webgpu = (): Promise<unknown> => useBackend('webgpu', { webgpu: found!.options })

const SHAPES = [[7, 5], [5], [3, 4, 2], [1]]
const STEPS = 70

/** Seeded gradients for every step, the same numbers on every backend; some steps have tiny, huge or zero gradients. */
function gradientPlan(): Float32Array[][] {
  const rng = createRng('webgpu adam gradients')
  return Array.from({ length: STEPS }, (_, step) => {
    const scale = step === 5 ? 1e-6 : step === 9 ? 1e3 : 1
    return SHAPES.map((shape) => {
      const n = shape.reduce((a, b) => a * b, 1)
      return Float32Array.from({ length: n }, (_, i) => (step === 12 && i % 2 === 0 ? 0 : scale * rng.normal()))
    })
  })
}
const initial = (): Float32Array[] => {
  const rng = createRng('webgpu adam init')
  return SHAPES.map((shape) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()))
}

interface Trace {
  /** After steps 1, 2 and the last: parameters, first moments, second moments. */
  readonly at: Record<number, { p: Float32Array[]; m: Float32Array[]; v: Float32Array[] }>
  readonly numTensors: number[]
  readonly fused: { fused: number; fallback: number } | null
}

/** Runs STEPS Adam steps on the given gradients with `make`'s optimizer; the learning rate changes at step 30 as the loop would set it. */
async function adamTrace(backend: 'cpu' | 'webgpu', make: () => tf.AdamOptimizer): Promise<Trace> {
  if (backend === 'cpu') await useBackend('cpu')
  else await webgpu()
  const start = initial()
  const vars = SHAPES.map((shape, i) => tf.variable(tf.tensor(start[i]!, shape), true, `${backend}-adam-${i}-${Math.random()}`))
  const opt = make()
  const plan = gradientPlan()
  const at: Trace['at'] = {}
  const numTensors: number[] = []
  for (let step = 1; step <= STEPS; step++) {
    if (step === 30) (opt as unknown as { learningRate: number }).learningRate = 0.003
    const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(plan[step - 1]![i]!, SHAPES[i]) }))
    opt.applyGradients(grads)
    tf.dispose(grads.map((g) => g.tensor))
    if (step === 1 || step === 2 || step === STEPS) {
      const [iterations, ...weights] = await opt.getWeights() // [iterations, ...m, ...v]
      iterations!.tensor.dispose()
      const read = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => Float32Array.from(await t.data())))
      at[step] = { p: await read(vars), m: await read(weights.slice(0, vars.length).map((w) => w.tensor)), v: await read(weights.slice(vars.length).map((w) => w.tensor)) }
    }
    numTensors.push(tf.memory().numTensors)
  }
  const fused = opt instanceof WebgpuAdamOptimizer ? { ...opt.fusedSteps } : null
  opt.dispose()
  tf.dispose(vars)
  return { at, numTensors, fused }
}

describe.skipIf(!runsShaders)(`fused Adam on webgpu (${runsShaders ? JSON.stringify(found!.options) : skipReason})`, () => {
  it(`equals tfjs Adam on the CPU backend to float32 tolerance: parameters and both moments after steps 1, 2 and ${STEPS}`, async () => {
    const cpu = await adamTrace('cpu', () => tf.train.adam(0.01, 0.9, 0.999, 1e-8))
    const gpu = await adamTrace('webgpu', () => new WebgpuAdamOptimizer(0.01, 0.9, 0.999, 1e-8))
    expect(gpu.fused).toEqual({ fused: STEPS, fallback: 0 })
    for (const step of [1, 2, STEPS]) {
      for (const part of ['p', 'm', 'v'] as const) {
        cpu.at[step]![part].forEach((expected, i) => expectClose(gpu.at[step]![part][i]!, expected, `step ${step}, ${part} of variable ${i}`))
      }
    }
    expect(new Set(gpu.numTensors.slice(1)).size).toBe(1)
  })

  it('one dispatch per variable with a gradient, against tfjs Adam’s many', async () => {
    await webgpu()
    const vars = SHAPES.map((shape, i) => tf.variable(tf.randomNormal(shape), true, `dispatch-${i}-${Math.random()}`))
    const counter = countWebgpuCalls()
    try {
      const dispatchesPerStep = async (opt: tf.Optimizer, withGradient: number): Promise<number> => {
        const step = async () => {
          const grads = Object.fromEntries(vars.slice(0, withGradient).map((v) => [v.name, tf.onesLike(v)]))
          counter.reset()
          opt.applyGradients(grads)
          const n = counter.counts.dispatches
          tf.dispose(Object.values(grads))
          await vars[0]!.data() // flush
          return n
        }
        await step() // the first step creates the moments
        return step()
      }
      const fused = new WebgpuAdamOptimizer(0.01)
      const stock = tf.train.adam(0.01)
      expect(await dispatchesPerStep(fused, SHAPES.length)).toBe(SHAPES.length)
      expect(await dispatchesPerStep(stock, SHAPES.length)).toBeGreaterThan(5 * SHAPES.length)
      fused.dispose()
      stock.dispose()
    } finally {
      counter.stop()
      tf.dispose(vars)
    }
  })

  it('in-place updates leave tensors that shared a buffer untouched: the initial value and a checkpoint snapshot', async () => {
    await webgpu()
    const init = tf.tensor([1, 2, 3, 4])
    const v = tf.variable(init, true, `shared-${Math.random()}`) // shares init's buffer
    const opt = new WebgpuAdamOptimizer(0.1)
    const step = () => {
      const g = { [v.name]: tf.tensor([1, -1, 0.5, 2]) }
      opt.applyGradients(g)
      tf.dispose(Object.values(g))
    }
    step()
    expect(Array.from(await init.data())).toEqual([1, 2, 3, 4])
    const afterOne = Float32Array.from(await v.data()) // also caches the values on the CPU
    const snap = await snapshotOptimizer(opt) // clones share the moments' buffers
    const snapM = Float32Array.from(await snap.weights[1]!.tensor.data())
    step()
    expect(Array.from(await snap.weights[1]!.tensor.data())).toEqual(Array.from(snapM))
    const afterTwo = await v.data()
    expect(Array.from(afterTwo)).not.toEqual(Array.from(afterOne)) // no stale CPU copy
    expect(opt.fusedSteps).toEqual({ fused: 2, fallback: 0 })
    tf.dispose([init, v, ...snap.weights.map((w) => w.tensor), ...Object.values(snap.extras)])
    opt.dispose()
  })

  it('a gradient stored as int32 (tfjs-webgpu keeps an int→float cast that way) falls back to tfjs Adam, equal to the CPU backend', async () => {
    const run = async (backend: 'cpu' | 'webgpu') => {
      if (backend === 'cpu') await useBackend('cpu')
      else await webgpu()
      const v = tf.variable(tf.tensor([0.5, -1, 2, 3]), true, `cast-${backend}-${Math.random()}`)
      const opt: tf.Optimizer = backend === 'cpu' ? tf.train.adam(0.1) : new WebgpuAdamOptimizer(0.1)
      for (let i = 0; i < 3; i++) {
        const g = { [v.name]: tf.cast(tf.tensor1d([1 + i, -2, 0, 3 - i], 'int32'), 'float32') }
        opt.applyGradients(g)
        tf.dispose(Object.values(g))
      }
      const out = { p: Float32Array.from(await v.data()), fused: opt instanceof WebgpuAdamOptimizer ? { ...opt.fusedSteps } : null }
      opt.dispose()
      v.dispose()
      return out
    }
    const cpu = await run('cpu')
    const gpu = await run('webgpu')
    expect(gpu.fused).toEqual({ fused: 0, fallback: 3 })
    expectClose(gpu.p, cpu.p, 'parameter after 3 steps')
  })

  it('a step guarded by a non-finite loss leaves parameter and moments untouched; a finite one is applied as usual', async () => {
    await webgpu()
    const v = tf.variable(tf.tensor([0.5, -1, 2]), true, `guard-${Math.random()}`)
    const opt = new WebgpuAdamOptimizer(0.1)
    const step = async (loss: number) => {
      const g = { [v.name]: tf.tensor([1, -2, 0.5]) }
      const readout = tf.tensor([loss, 7]) // the loss first, then its terms, as the loop's readout
      const lossOnGpu = tf.add(readout, 0) // computed on the GPU, as a real loss is
      expect(opt.canFuse(g)).toBe(true)
      opt.guardNextStep(lossOnGpu)
      opt.applyGradients(g)
      const [iterations, m1] = await opt.getWeights()
      const [p, m] = [Array.from(await v.data()), Array.from(await m1!.tensor.data())]
      tf.dispose([...Object.values(g), readout, lossOnGpu, iterations!.tensor])
      return { p, m }
    }
    const first = await step(1.5)
    expect(first.p).not.toEqual([0.5, -1, 2])
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(await step(bad)).toEqual(first)
    const after = await step(0.25)
    expect(after.p).not.toEqual(first.p)
    expect(opt.fusedSteps).toEqual({ fused: 5, fallback: 0 })
    tf.dispose(v)
    opt.dispose()
  })

  it('a checkpoint round trip (snapshot, restore into a fresh optimizer) continues exactly, still fused', async () => {
    await webgpu()
    const v = tf.variable(tf.tensor([0.5, -1, 2, 3]), true, `resume-${Math.random()}`)
    const grad = (step: number) => ({ [v.name]: tf.tensor([Math.sin(step), Math.cos(step), 0.1 * step, -1]) })
    const steps = (opt: tf.Optimizer, from: number, n: number) => {
      for (let s = from; s < from + n; s++) {
        const g = grad(s)
        opt.applyGradients(g)
        tf.dispose(Object.values(g))
      }
    }
    const first = new WebgpuAdamOptimizer(0.05)
    steps(first, 0, 3)
    const snap = await snapshotOptimizer(first)
    const saved = v.clone()
    steps(first, 3, 4)
    const straight = Array.from(await v.data())
    v.assign(saved)
    const resumed = new WebgpuAdamOptimizer(0.05)
    await restoreOptimizer(resumed, snap, (n) => n)
    steps(resumed, 3, 4)
    expect(Array.from(await v.data())).toEqual(straight)
    expect(resumed.fusedSteps).toEqual({ fused: 4, fallback: 0 })
    tf.dispose([v, saved, ...snap.weights.map((w) => w.tensor), ...Object.values(snap.extras)])
    first.dispose()
    resumed.dispose()
  })

  it('createOptimizer builds it on webgpu only; train() on webgpu matches the CPU backend over 60 steps', async () => {
    await webgpu()
    const onGpu = createOptimizer({ name: 'adam', learningRate: 0.01 })
    expect(onGpu).toBeInstanceOf(WebgpuAdamOptimizer)
    expect(onGpu.getClassName()).toBe('Adam')
    onGpu.dispose()
    await useBackend('cpu')
    const onCpu = createOptimizer({ name: 'adam', learningRate: 0.01 })
    expect(onCpu).not.toBeInstanceOf(WebgpuAdamOptimizer)
    onCpu.dispose()

    process.env.CONVERGE_DAWN_FLAGS ??= found!.env.CONVERGE_DAWN_FLAGS
    const task = syntheticClassification({ features: 4, hidden: 8, trainSize: 64, evalSize: 16, batchSize: 16 })
    const gpu = await train({ task: task as never, maxSteps: 60, evalEvery: 60, backend: 'webgpu', seed: 5 })
    const cpu = await train({ task: task as never, maxSteps: 60, evalEvery: 60, backend: 'cpu', seed: 5 })
    expect(gpu.losses).toHaveLength(60)
    // Forward and backward kernels round differently on the two backends, so the trajectories drift
    // apart slowly whatever the optimizer; 1e-4 relative still catches a wrong update at any step.
    gpu.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]!), `step ${i + 1}: ${l} vs ${cpu.losses[i]}`).toBeLessThanOrEqual(1e-4 * Math.max(1, cpu.losses[i]!)))
  })
})
