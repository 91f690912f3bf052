import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { reportOnly, train, type StepReport, type TaskDefinition, type Trick } from '../src/index.js'
import { numTensors, smallTask } from './helpers.js'

describe('batch ownership', () => {
  it('the loop frees only what batch() returned: never a variable a trick puts into the batch, nor one the task returns', async () => {
    const shared = tf.variable(tf.ones([2]), false, 'ownership/shared')
    const base = smallTask()
    const task: TaskDefinition = {
      ...base,
      async create(init) {
        const inst = await base.create(init)
        return { ...inst, batch: async (req) => ({ ...(await inst.batch(req)), table: shared }) }
      },
    }
    const writer: Trick = {
      name: 'writer',
      beforeStep: (ctx) => void Object.assign(ctx.batch, { mine: shared, list: [shared] }),
    }
    await train({ task, tricks: [writer], maxSteps: 3, backend: 'cpu' })
    expect(shared.isDisposed).toBe(false)
    expect(Array.from(shared.dataSync())).toEqual([1, 1])
    shared.dispose()
  })

  it('gives each trick its own variable names and random stream', async () => {
    const names: string[] = []
    const draws: number[] = []
    const t = (name: string): Trick => ({
      name,
      setup: (ctx) => {
        names.push(ctx.variableName('w'))
        draws.push(ctx.rng().next())
      },
    })
    await train({ task: smallTask(), tricks: [t('a'), t('b')], maxSteps: 1, backend: 'cpu' })
    expect(names[0]).toMatch(/^run\d+\/trick\/a\/w$/)
    expect(names[1]).toMatch(/^run\d+\/trick\/b\/w$/)
    expect(draws[0]).not.toBe(draws[1])
  })
})

describe('objective and loss terms', () => {
  it('an objective replaces the task forward and loss; later hooks see its output', async () => {
    let forwards = 0
    const base = smallTask()
    const task: TaskDefinition = {
      ...base,
      async create(init) {
        const inst = await base.create(init)
        return { ...inst, forward: (b, i) => (forwards++, inst.forward(b, i)) }
      },
    }
    const outputs: unknown[] = []
    const marker = { kind: 'objective-output' }
    const replace: Trick = {
      name: 'replace',
      objective: (ctx) => ({ output: marker, parts: { l2: tf.mean(tf.square(ctx.variables[0]!)) as tf.Scalar } }),
      afterForward: (_c, out) => void outputs.push(out),
      loss: (_c, parts, out) => (outputs.push(out), parts),
    }
    const r = await train({ task, tricks: [replace], maxSteps: 2, evalEvery: 10, backend: 'cpu' })
    expect(forwards).toBe(0)
    expect(outputs).toEqual([marker, marker, marker, marker])
    expect(Object.keys(r.lossTerms)).toEqual(['l2'])
  })

  it('reported-only terms are recorded and reported, never summed into the loss', async () => {
    const reports: StepReport[] = []
    const diag: Trick = {
      name: 'diag',
      loss: (_c, parts) => ({ ...parts, weighted: tf.scalar(0.25), 'weighted/raw': reportOnly(tf.scalar(100)) }),
      afterStep: (_c, r) => void reports.push(r),
    }
    const r = await train({ task: smallTask(), tricks: [diag], maxSteps: 3, backend: 'cpu' })
    for (const rep of reports) {
      expect(rep.reported).toEqual({ 'weighted/raw': 100 })
      expect(rep.loss).toBeCloseTo(rep.lossParts.ce! + 0.25, 5)
      expect(Object.keys(rep.lossParts).sort()).toEqual(['ce', 'weighted'])
    }
    expect(r.reportedTerms).toEqual(['weighted/raw'])
    expect(r.lossTerms['weighted/raw']).toEqual([100, 100, 100])
    expect(r.losses.map((l, i) => +(l - r.lossTerms.ce![i]!).toFixed(5))).toEqual([0.25, 0.25, 0.25])
  })

  it('keeps numTensors flat with an objective trick', async () => {
    const t: Trick = { name: 'obj', objective: (ctx) => ({ output: {}, parts: { l2: tf.mean(tf.square(ctx.variables[0]!)) as tf.Scalar } }) }
    await train({ task: smallTask(), tricks: [t], maxSteps: 3, backend: 'cpu' })
    const before = numTensors()
    const counts: number[] = []
    await train({ task: smallTask(), tricks: [t], maxSteps: 6, backend: 'cpu', onStep: () => counts.push(numTensors()) })
    expect(new Set(counts.slice(1)).size).toBe(1)
    expect(numTensors()).toBe(before)
  })
})
