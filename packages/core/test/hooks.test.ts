import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { ContractError, train, type Trick } from '../src/index.js'
import { recorder, smallTask } from './helpers.js'

describe('hook order', () => {
  it('runs hooks in trick order, the closing half of each before/after pair in reverse, and end in trick order', async () => {
    const log: string[] = []
    await train({ task: smallTask(), tricks: [recorder('a', log), recorder('b', log)], maxSteps: 1, evalEvery: 1, backend: 'cpu' })
    const evaluation = ['a:beforeEvaluate', 'b:beforeEvaluate', 'b:afterEvaluate', 'a:afterEvaluate', 'a:evaluate', 'b:evaluate']
    expect(log).toEqual([
      'a:setup', 'b:setup',
      ...evaluation,
      'a:learningRate', 'b:learningRate',
      'a:beforeStep', 'b:beforeStep',
      'a:beforeForward', 'b:beforeForward',
      'b:afterForward', 'a:afterForward',
      'a:loss', 'b:loss',
      'b:afterBackward', 'a:afterBackward',
      'b:afterStep', 'a:afterStep',
      ...evaluation,
      'a:end', 'b:end',
    ])
  })

  it('traces every hook call as trick/<name>/<hook> with its step', async () => {
    const r = await train({ task: smallTask(), tricks: [recorder('a', [])], maxSteps: 2, evalEvery: 2, backend: 'cpu', trace: true })
    const labels = r.trace!.map((e) => e.label)
    expect(labels[0]).toBe('trick/a/setup')
    expect(labels.filter((l) => l === 'trick/a/beforeForward')).toHaveLength(2)
    expect(r.trace!.filter((e) => e.hook === 'afterStep').map((e) => e.step)).toEqual([1, 2])
    const seen: string[] = []
    await train({ task: smallTask(), tricks: [recorder('a', [])], maxSteps: 1, backend: 'cpu', trace: (e) => seen.push(e.label) })
    expect(seen).toContain('trick/a/loss')
  })

  it('passes loss parts through the loss hooks and sums them last', async () => {
    const extra: Trick = {
      name: 'extra-term',
      loss: (_ctx, parts) => ({ ...parts, extra: tf.scalar(0.5) }),
    }
    const r = await train({ task: smallTask(), tricks: [extra], maxSteps: 3, backend: 'cpu', onStep: (rep) => {
      expect(rep.lossParts.extra).toBeCloseTo(0.5, 6)
      expect(rep.loss).toBeCloseTo(rep.lossParts.ce! + 0.5, 5)
    } })
    expect(r.steps).toBe(3)
  })

  it('lets afterBackward replace gradients before the step (zero gradients freeze the model)', async () => {
    const freeze: Trick = {
      name: 'freeze',
      afterBackward: (_ctx, grads) => Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.zerosLike(g)])),
    }
    const r = await train({ task: smallTask(), tricks: [freeze], maxSteps: 5, evalEvery: 5, backend: 'cpu', optimizer: { name: 'sgd', learningRate: 0.5 } })
    expect(r.history[1]!.metrics).toEqual(r.history[0]!.metrics)
  })
})

describe('contract errors before step 0', () => {
  it('rejects two tricks that both supply the optimizer, naming both', async () => {
    const a: Trick = { name: 'opt-a', optimizer: () => tf.train.sgd(0.1) }
    const b: Trick = { name: 'opt-b', optimizer: () => tf.train.sgd(0.1) }
    let created = false
    const task = { ...smallTask(), create: () => { created = true; throw new Error('unreachable') } }
    await expect(train({ task, tricks: [a, b], maxSteps: 1 })).rejects.toThrow(/"opt-a" and "opt-b" both supply the exclusive hook "optimizer"/)
    expect(created).toBe(false)
  })

  it('rejects two tricks that both choose sources', async () => {
    const s = (name: string): Trick => ({ name, sampleSource: (_c, src, n) => Array(n).fill(src[0]) })
    await expect(train({ task: smallTask(), tricks: [s('x'), s('y')], maxSteps: 1 })).rejects.toThrow(ContractError)
  })

  it('rejects a trick whose required capability the task lacks, naming both, before any setup', async () => {
    let setupRan = false
    const t: Trick = { name: 'needs-rewards', requires: ['rewards'], setup: () => void (setupRan = true) }
    const before = tf.memory().numTensors
    await expect(train({ task: smallTask(), tricks: [t], maxSteps: 1, backend: 'cpu' })).rejects.toThrow(
      /trick "needs-rewards" requires capability "rewards", which task "synthetic-classification" does not provide \(it provides: hiddenStates\)/,
    )
    expect(setupRan).toBe(false)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('accepts a trick whose capability the task has', async () => {
    const t: Trick = { name: 'needs-hidden', requires: ['hiddenStates'] }
    await expect(train({ task: smallTask(), tricks: [t], maxSteps: 1, backend: 'cpu' })).resolves.toMatchObject({ steps: 1 })
  })

  it('rejects duplicate trick names', async () => {
    await expect(train({ task: smallTask(), tricks: [{ name: 'x' }, { name: 'x' }], maxSteps: 1 })).rejects.toThrow(/two tricks are named "x"/)
  })

  it('rejects a sampleSource result that names unknown sources', async () => {
    const t: Trick = { name: 'bad-sampler', sampleSource: (_c, _s, n) => Array(n).fill('nope') }
    await expect(train({ task: smallTask(), tricks: [t], maxSteps: 1, backend: 'cpu' })).rejects.toThrow(/"bad-sampler" returned sources \[nope\]/)
  })

  it('uses the optimizer a trick supplies', async () => {
    let built = 0
    const t: Trick = { name: 'my-opt', optimizer: (_ctx, vars, base) => { built = vars.length; expect(base.learningRate).toBeGreaterThan(0); return tf.train.sgd(0.1) } }
    await train({ task: smallTask(), tricks: [t], maxSteps: 2, backend: 'cpu' })
    expect(built).toBe(4)
  })
})

describe('tasks that reuse a batch for several updates', () => {
  it('draws a batch (and chooses sources) once per updatesPerBatch steps, counting every update', async () => {
    const base = smallTask()
    let batches = 0
    const task = {
      ...base,
      async create(init: Parameters<typeof base.create>[0]) {
        const inst = await base.create(init)
        return Object.assign(Object.create(inst), {
          updatesPerBatch: 3,
          batch: (req: Parameters<typeof inst.batch>[0]) => (batches++, inst.batch(req)),
        })
      },
    }
    const updates: number[] = []
    let sampled = 0
    const probe: Trick = {
      name: 'probe',
      sampleSource: (_c, s, n) => (sampled++, Array(n).fill(s[0])),
      beforeForward: (ctx) => void updates.push(ctx.update),
    }
    const before = tf.memory().numTensors
    const r = await train({ task, tricks: [probe], maxSteps: 7, backend: 'cpu' })
    expect(r.steps).toBe(7)
    expect(batches).toBe(3)
    expect(sampled).toBe(3)
    expect(updates).toEqual([0, 1, 2, 0, 1, 2, 0])
    expect(tf.memory().numTensors).toBe(before)
  })
})
