import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { stepsToTarget, train, type RunInfo, type TaskDefinition, type Trick } from '../src/index.js'
import { numTensors, smallTask } from './helpers.js'

/** Exponential moving average of the weights, swapped in for each evaluation and out after it. */
function emaOfWeights(decay: number): Trick {
  let ema: tf.Variable[] = []
  let live: tf.Tensor[] = []
  return {
    name: 'ema',
    setup(ctx) {
      ema = ctx.variables.map((v, i) => tf.variable(v, false, ctx.variableName(`ema${i}`)))
    },
    afterStep(ctx) {
      tf.tidy(() => ctx.variables.forEach((v, i) => ema[i]!.assign(tf.add(tf.mul(decay, ema[i]!), tf.mul(1 - decay, v)))))
    },
    beforeEvaluate(ctx) {
      live = ctx.variables.map((v) => tf.clone(v))
      ctx.variables.forEach((v, i) => v.assign(ema[i]!))
    },
    afterEvaluate(ctx) {
      ctx.variables.forEach((v, i) => v.assign(live[i]!))
      tf.dispose(live)
      live = []
    },
    dispose() {
      tf.dispose(ema)
      ema = []
    },
  }
}

describe('evaluation hooks', () => {
  it('run before the target check, so stepsToTarget, history and stopAtTarget agree (EMA of weights)', async () => {
    const task = smallTask()
    const common = { task, maxSteps: 200, evalEvery: 10, backend: 'cpu' as const, seed: 2, target: { value: 0.7 } }
    const full = await train({ ...common, tricks: [emaOfWeights(0.9)] })
    expect(full.stepsToTarget).not.toBeNull()
    expect(full.stepsToTarget).toBe(stepsToTarget(full.history, full.target))
    const stopped = await train({ ...common, tricks: [emaOfWeights(0.9)], stopAtTarget: true })
    expect(stopped.steps).toBe(full.stepsToTarget)
    expect(stopped.history.at(-1)!.metrics).toEqual(full.history.find((h) => h.step === full.stepsToTarget)!.metrics)
    // evaluating on EMA weights does not change training: the live weights are restored after each evaluation
    const plain = await train({ ...common, tricks: [{ ...emaOfWeights(0.9), beforeEvaluate: undefined, afterEvaluate: undefined, name: 'ema-no-swap' }] })
    expect(full.losses).toEqual(plain.losses)
    expect(full.history.map((h) => h.metrics.accuracy)).not.toEqual(plain.history.map((h) => h.metrics.accuracy))
  })

  it('chain afterEvaluate in reverse trick order; metrics it adds are recorded and can be the target', async () => {
    const order: string[] = []
    const adder = (name: string, value: number): Trick => ({
      name,
      beforeEvaluate: () => void order.push(`${name}:before`),
      afterEvaluate: (_c, m) => (order.push(`${name}:after`), { ...m, [name]: value }),
      evaluate: (_c, m) => void order.push(`${name}:evaluate:${Object.keys(m).sort().join(',')}`),
    })
    const r = await train({ task: smallTask(), tricks: [adder('a', 1), adder('b', 2)], maxSteps: 1, evalEvery: 1, backend: 'cpu', target: { metric: 'b', direction: 'max', value: 2 } })
    expect(order.slice(0, 6)).toEqual(['a:before', 'b:before', 'b:after', 'a:after', 'a:evaluate:a,accuracy,b,loss', 'b:evaluate:a,accuracy,b,loss'])
    expect(r.stepsToTarget).toBe(0)
    expect(r.history[0]!.metrics).toMatchObject({ a: 1, b: 2 })
  })

  it('give the task an evaluation context', async () => {
    const seen: [number, string][] = []
    const base = smallTask()
    const task: TaskDefinition = {
      ...base,
      async create(init) {
        const inst = await base.create(init)
        return { ...inst, evaluate: (info?: RunInfo) => (seen.push([info!.step, info!.phase.name]), inst.evaluate(info)) }
      },
    }
    await train({ task, maxSteps: 4, evalEvery: 2, backend: 'cpu' })
    expect(seen).toEqual([[0, 'main'], [2, 'main'], [4, 'main']])
  })

  it('leave no tensors behind with an EMA trick', async () => {
    await train({ task: smallTask(), tricks: [emaOfWeights(0.5)], maxSteps: 6, evalEvery: 2, backend: 'cpu' })
    const before = numTensors()
    await train({ task: smallTask(), tricks: [emaOfWeights(0.5)], maxSteps: 6, evalEvery: 2, backend: 'cpu' })
    expect(numTensors()).toBe(before)
  })
})
