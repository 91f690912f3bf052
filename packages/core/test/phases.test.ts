import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { costWeightedSteps, gradClip, lrWarmup, train, type PhaseSpec, type SetupContext, type StepReport, type TaskDefinition, type Trick } from '../src/index.js'
import { numTensors, smallTask } from './helpers.js'

/** A trick that runs one phase over the first layer (`dense1/*`) with a plain L2 objective on the batch's logits. */
function warmup(steps: number, extra: Partial<PhaseSpec> = {}, name = 'warmup'): Trick {
  return {
    name: `${name}-trick`,
    async setup(ctx: SetupContext) {
      const first = ctx.variables.slice(0, 2) // dense1 kernel and bias
      await ctx.runPhase({
        name,
        steps,
        variables: first,
        cost: 0.5,
        objective: (_c, batch) => ({
          act: tf.square(tf.sub(tf.add(tf.sum(first[0]!), tf.sum(first[1]!)), 1)) as tf.Scalar,
          batchSeen: { reported: tf.scalar(batch.sources.length) },
        }),
        ...extra,
      })
    },
  }
}

/** Records, per step, the phase and the first input value of the batch the task served on each stream. */
function recordingTask(log: { stream: string; first: number }[]): TaskDefinition {
  const base = smallTask()
  return {
    ...base,
    async create(init) {
      const inst = await base.create(init)
      return {
        ...inst,
        batch: async (req) => {
          const b = (await inst.batch(req)) as { x: tf.Tensor } & typeof req
          log.push({ stream: req.stream, first: (b.x.dataSync()[0] as number) })
          return b as never
        },
      }
    },
  }
}

describe('setup phases', () => {
  it('count their steps, are recorded with their cost, and leave evaluation to the main phase', async () => {
    const r = await train({ task: smallTask(), tricks: [warmup(6)], maxSteps: 20, evalEvery: 5, backend: 'cpu' })
    expect(r.phases).toEqual([
      { name: 'warmup', startStep: 0, endStep: 6, cost: 0.5 },
      { name: 'main', startStep: 6, endStep: 20, cost: 1 },
    ])
    expect(r.losses).toHaveLength(20)
    expect(r.history.map((h) => h.step)).toEqual([6, 10, 15, 20])
    expect(costWeightedSteps(r.phases, 10)).toBe(3 + 4)
    expect(costWeightedSteps(r.phases, 20)).toBe(3 + 14)
    expect(r.reportedTerms).toEqual(['batchSeen'])
    expect(r.lossTerms.act!.slice(0, 6).every(Number.isFinite)).toBe(true)
    expect(r.lossTerms.act!.slice(6).every(Number.isNaN)).toBe(true)
    expect(r.lossTerms.ce!.slice(0, 6).every(Number.isNaN)).toBe(true)
  })

  it('draw batches on their own stream: the main phase sees the same data as without the phase', async () => {
    const withPhase: { stream: string; first: number }[] = []
    const without: { stream: string; first: number }[] = []
    await train({ task: recordingTask(withPhase), tricks: [warmup(5)], maxSteps: 9, backend: 'cpu', seed: 4 })
    await train({ task: recordingTask(without), maxSteps: 4, backend: 'cpu', seed: 4 })
    expect(withPhase.filter((b) => b.stream === 'phase:warmup')).toHaveLength(5)
    expect(withPhase.filter((b) => b.stream === 'main')).toEqual(without)
    expect(withPhase[0]!.first).not.toBe(without[0]!.first)
  })

  it('train only their variables, run learning-rate, afterBackward and afterStep hooks, and report their phase', async () => {
    const reports: StepReport[] = []
    const lrs: [string, number, number][] = []
    const gradNames: string[][] = []
    const probe: Trick = {
      name: 'probe',
      learningRate: (ctx, lr) => (lrs.push([ctx.phase.name, ctx.phase.step, lr]), lr),
      afterBackward: (ctx, grads) => void (ctx.phase.name !== 'main' && gradNames.push(Object.keys(grads).map((n) => n.split('/').slice(-2).join('/')))),
      afterStep: (_ctx, r) => void reports.push(r),
      beforeForward: (ctx) => {
        if (ctx.phase.name !== 'main') throw new Error('in-tape hooks of other tricks must not run in a setup phase')
      },
    }
    let head0: Float32Array | null = null
    let headAfterPhase: Float32Array | null = null
    const snapshot: Trick = {
      name: 'snapshot',
      setup: (ctx) => void (head0 = ctx.variables[2]!.dataSync().slice() as Float32Array),
      afterStep: (ctx, r) => void (r.step === 3 && (headAfterPhase = ctx.variables[2]!.dataSync().slice() as Float32Array)),
    }
    const r = await train({ task: smallTask(), tricks: [snapshot, warmup(3), lrWarmup({ steps: 2 }), probe, gradClip({ maxNorm: 1 })], maxSteps: 5, backend: 'cpu' })
    expect(reports.map((x) => [x.phase.name, x.phase.step, x.step])).toEqual([
      ['warmup', 1, 1], ['warmup', 2, 2], ['warmup', 3, 3], ['main', 1, 4], ['main', 2, 5],
    ])
    // lrWarmup restarts with each phase (it counts ctx.phase.step); the base rate is the task's Adam rate 3e-3
    expect(lrs.map(([p, s, lr]) => [p, s, +lr.toFixed(6)])).toEqual([
      ['warmup', 0, 0.0015], ['warmup', 1, 0.003], ['warmup', 2, 0.003], ['main', 0, 0.0015], ['main', 1, 0.003],
    ])
    expect(gradNames).toEqual([0, 1, 2].map(() => ['dense1/kernel', 'dense1/bias']))
    expect(Array.from(headAfterPhase!)).toEqual(Array.from(head0!)) // the head is not trained by the phase
    expect(r.steps).toBe(5)
  })

  it('honour stop(): a stop in a phase ends the phase and the run', async () => {
    const stopper: Trick = { name: 'stopper', afterStep: (ctx, r) => void (r.step === 2 && ctx.stop('enough')) }
    const r = await train({ task: smallTask(), tricks: [warmup(5), stopper], maxSteps: 20, backend: 'cpu' })
    expect(r.steps).toBe(2)
    expect(r.stopReason).toBe('enough')
    expect(r.phases.map((p) => [p.name, p.startStep, p.endStep])).toEqual([['warmup', 0, 2], ['main', 2, 2]])
  })

  it('free their optimizer and batches: numTensors flat and back to the start', async () => {
    await train({ task: smallTask(), tricks: [warmup(3)], maxSteps: 8, backend: 'cpu' })
    const before = numTensors()
    const counts: number[] = []
    await train({ task: smallTask(), tricks: [warmup(3)], maxSteps: 8, backend: 'cpu', onStep: () => counts.push(numTensors()) })
    expect(new Set(counts.slice(4)).size).toBe(1)
    expect(counts[2]).toBe(counts[1])
    expect(numTensors()).toBe(before)
  })

  it('reject bad specs with the trick and phase named', async () => {
    const cases: [Partial<PhaseSpec> & { name?: unknown }, RegExp][] = [
      [{ name: 'main' }, /phase name "main" is reserved/],
      [{ steps: -1 }, /phase "warmup": steps must be a non-negative integer, got -1/],
      [{ steps: 50 }, /phase "warmup" needs 50 steps but only 10 of maxSteps 10 remain/],
      [{ variables: [] }, /phase "warmup": variables must be a non-empty array of tf.Variable/],
      [{ cost: 0 }, /phase "warmup": cost must be a finite number > 0, got 0/],
      [{ optimizer: { name: 'adam', learningRate: -1 } }, /optimizer: learningRate: got -1/],
    ]
    for (const [extra, pattern] of cases) {
      const t = warmup(2, extra as Partial<PhaseSpec>, (extra.name as string) ?? 'warmup')
      await expect(train({ task: smallTask(), tricks: [t], maxSteps: 10, backend: 'cpu' })).rejects.toThrow(pattern)
    }
    const twice: Trick = {
      name: 'twice',
      async setup(ctx) {
        const spec: PhaseSpec = { name: 'p', steps: 1, variables: ctx.variables, objective: () => ({ z: tf.mean(tf.square(ctx.variables[0]!)) as tf.Scalar }) }
        await ctx.runPhase(spec)
        await ctx.runPhase(spec)
      },
    }
    await expect(train({ task: smallTask(), tricks: [twice], maxSteps: 10, backend: 'cpu' })).rejects.toThrow(/phase name "p" is already used in this run/)
  })
})
