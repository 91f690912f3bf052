import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { NonFiniteLossError, train, useBackend, type TaskDefinition, type TaskInstance, type Trick } from '../../src/index.js'
import { resolveDawnSettings } from '../../src/backends/index.js'
import { smallTask } from '../helpers.js'
import { findAdapter } from './webgpu-adapter.js'

const found = await findAdapter()
const runsShaders = found !== null && !resolveDawnSettings(found.options).flags.includes('backend=null')
const skipReason = !found ? 'no WebGPU adapter can be created here' : 'the adapter is Dawn backend=null, which runs no shaders'

/** The task, with every forward pass keeping a copy of the weights it ran on (read after the run). */
function recordingTask(seen: tf.Tensor[][]): TaskDefinition {
  const base = smallTask()
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

const read = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())))

describe.skipIf(!runsShaders)(`loss read one step late on webgpu (${runsShaders ? JSON.stringify(found!.options) : skipReason})`, () => {
  it('a non-finite loss stops the run at its step, and the weights it produced are never used', async () => {
    process.env.CONVERGE_DAWN_FLAGS ??= found!.env.CONVERGE_DAWN_FLAGS
    await useBackend('webgpu', { webgpu: found!.options })
    const before = tf.memory().numTensors
    const seen: tf.Tensor[][] = []
    const err = await train({ task: recordingTask(seen), tricks: [poisonAt(5)], maxSteps: 20, evalEvery: 20, backend: 'webgpu', seed: 2 }).catch((e) => e)
    expect(err).toBeInstanceOf(NonFiniteLossError)
    expect(err.step).toBe(5)
    expect(err.lossParts.bad).toBeNaN()
    // Read late: step 6's forward ran before step 5's loss was known, on the weights from before
    // step 5 (its update was skipped on the GPU); steps 1-4 changed the weights as usual.
    expect(seen).toHaveLength(6)
    const weights = await Promise.all(seen.map(read))
    for (let s = 1; s < 5; s++) expect(weights[s], `step ${s + 1} runs on step ${s}'s update`).not.toEqual(weights[s - 1])
    expect(weights[5]).toEqual(weights[4])
    tf.dispose(seen.flat())
    expect(tf.memory().numTensors).toBe(before)
  })

  it('with an onStep observer the loss is read at once: the run stops before the next forward', async () => {
    const seen: tf.Tensor[][] = []
    const steps: number[] = []
    const err = await train({ task: recordingTask(seen), tricks: [poisonAt(5)], maxSteps: 20, backend: 'webgpu', seed: 2, onStep: (r) => void steps.push(r.step) }).catch((e) => e)
    expect(err).toBeInstanceOf(NonFiniteLossError)
    expect(err.step).toBe(5)
    expect(seen).toHaveLength(5)
    expect(steps).toEqual([1, 2, 3, 4])
    tf.dispose(seen.flat())
  })

  it('the late-read run records the same losses, terms and evaluations as the CPU backend', async () => {
    const task = smallTask()
    const gpu = await train({ task, maxSteps: 30, evalEvery: 7, backend: 'webgpu', seed: 4 })
    const cpu = await train({ task, maxSteps: 30, evalEvery: 7, backend: 'cpu', seed: 4 })
    expect(gpu.losses).toHaveLength(30)
    expect(gpu.history.map((h) => h.step)).toEqual(cpu.history.map((h) => h.step))
    gpu.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]!), `step ${i + 1}`).toBeLessThanOrEqual(1e-4 * Math.max(1, cpu.losses[i]!)))
    expect(gpu.lossTerms.ce).toHaveLength(30)
  })
})
