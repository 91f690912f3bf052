import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { ContractError, type SetupContext, stepsToTarget, bestMetric, train, type Trick, type EvalRecord } from '../src/index.js'
import { smallTask } from './helpers.js'

const rec = (step: number, accuracy: number): EvalRecord => ({ step, metrics: { accuracy }, trainMs: 0 })

describe('stepsToTarget', () => {
  it('returns the first evaluated step that meets the target', () => {
    const h = [rec(0, 0.1), rec(10, 0.5), rec(20, 0.8), rec(30, 0.7), rec(40, 0.9)]
    expect(stepsToTarget(h, { metric: 'accuracy', direction: 'max', value: 0.8 })).toBe(20)
    expect(stepsToTarget(h, { metric: 'accuracy', direction: 'max', value: 0.85 })).toBe(40)
    expect(stepsToTarget(h, { metric: 'accuracy', direction: 'min', value: 0.5 })).toBe(0)
  })
  it('returns null (censored) when the target is never met', () => {
    expect(stepsToTarget([rec(0, 0.1), rec(10, 0.5)], { metric: 'accuracy', direction: 'max', value: 0.9 })).toBeNull()
  })
  it('throws when the metric is missing', () => {
    expect(() => stepsToTarget([rec(0, 0.1)], { metric: 'loss', direction: 'min', value: 1 })).toThrow(/"loss" is not among/)
  })
  it('finds the best value by direction', () => {
    const h = [rec(0, 0.3), rec(1, 0.9), rec(2, 0.5)]
    expect(bestMetric(h, 'accuracy', 'max')).toBe(0.9)
    expect(bestMetric(h, 'accuracy', 'min')).toBe(0.3)
  })
})

describe('train() and the target', () => {
  it('records the first crossing, evaluating every evalEvery steps and at the end', async () => {
    const r = await train({ task: smallTask(), maxSteps: 25, evalEvery: 10, backend: 'cpu', target: { value: 0.5 } })
    expect(r.history.map((h) => h.step)).toEqual([0, 10, 20, 25])
    const first = r.history.find((h) => h.metrics.accuracy! >= 0.5)
    expect(r.stepsToTarget).toBe(first?.step ?? null)
    expect(r.reached).toBe(r.stepsToTarget !== null)
    expect(r.target).toEqual({ metric: 'accuracy', direction: 'max', value: 0.5 })
  })

  it('censors a run that never reaches the target, keeping its history', async () => {
    const r = await train({ task: smallTask(), maxSteps: 6, evalEvery: 3, backend: 'cpu', target: { value: 1.01 } })
    expect(r.reached).toBe(false)
    expect(r.stepsToTarget).toBeNull()
    expect(r.steps).toBe(6)
    expect(r.history).toHaveLength(3)
  })

  it('stops at the target when asked', async () => {
    const r = await train({ task: smallTask(), maxSteps: 400, evalEvery: 5, backend: 'cpu', target: { value: 0.6 }, stopAtTarget: true })
    expect(r.reached).toBe(true)
    expect(r.steps).toBe(r.stepsToTarget)
    expect(r.stopReason).toBe('target reached')
  })

  it('counts the optimizer steps of a setup phase', async () => {
    const phase: Trick = {
      name: 'phase',
      async setup(ctx) {
        const v = ctx.variables[0]!
        await ctx.runPhase({ name: 'warm', steps: 7, variables: [v], optimizer: { name: 'sgd', learningRate: 0.01 }, objective: () => ({ l2: tf.mean(tf.square(v)) as tf.Scalar }) })
      },
    }
    const r = await train({ task: smallTask(), tricks: [phase], maxSteps: 20, evalEvery: 5, backend: 'cpu' })
    expect(r.steps).toBe(20)
    expect(r.losses).toHaveLength(20)
    expect(r.history.map((h) => h.step)).toEqual([7, 10, 15, 20])
  })

  it('rejects a setup phase longer than the step budget', async () => {
    const phase: Trick = {
      name: 'long-phase',
      setup: (ctx) => ctx.runPhase({ name: 'warm', steps: 50, variables: ctx.variables, objective: () => ({ zero: tf.scalar(0) }) }),
    }
    await expect(train({ task: smallTask(), tricks: [phase], maxSteps: 10, backend: 'cpu' })).rejects.toThrow(/needs 50 steps but only 10/)
  })

  it('allows runPhase and addTrainableVariables only during setup', async () => {
    // Outside setup the context type has no addTrainableVariables; a JavaScript caller still gets an error.
    const late: Trick = { name: 'late', afterStep: (ctx) => (ctx as unknown as SetupContext).addTrainableVariables([]) }
    await expect(train({ task: smallTask(), tricks: [late], maxSteps: 1, backend: 'cpu' })).rejects.toThrow(ContractError)
  })

  it('trains variables a trick adds in setup with the main optimizer', async () => {
    let extra: tf.Variable | null = null
    const head: Trick = {
      name: 'extra-var',
      setup(ctx) {
        extra = tf.variable(tf.ones([3]), true, 'extra-var/w')
        ctx.addTrainableVariables([extra])
      },
      loss: (_ctx, parts) => ({ ...parts, l2: tf.sum(tf.square(extra!)) as tf.Scalar }),
      end() {
        expect(extra!.dataSync()[0]).toBeLessThan(1)
      },
    }
    await train({ task: smallTask(), tricks: [head], maxSteps: 5, backend: 'cpu' })
    expect(extra!.isDisposed).toBe(true)
  })

  it('errors when the target metric is not evaluated', async () => {
    await expect(train({ task: smallTask(), maxSteps: 1, backend: 'cpu', target: { metric: 'f1' } })).rejects.toThrow(/target metric "f1" is not among/)
  })
})
