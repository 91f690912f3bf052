import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  cosineSchedule,
  linearSchedule,
  lrWarmup,
  scheduleFactor,
  stepSchedule,
  train,
  wsdSchedule,
  type ScheduleSpec,
  type SetupContext,
  type Trick,
} from '../src/index.js'
import { checkCheckpointResume } from '../src/testing/index.js'
import { smallTask } from './helpers.js'

const base = { warmupSteps: 0, warmupStartFactor: 0, steps: undefined }
const factors = (spec: ScheduleSpec, total: number) => Array.from({ length: total }, (_, i) => +scheduleFactor(spec, i, total).toFixed(6))

/** The learning rate of every step of a run (the task's Adam rate is 3e-3). */
async function rates(tricks: Trick[], maxSteps: number): Promise<number[]> {
  const lrs: number[] = []
  await train({ task: smallTask(), tricks, maxSteps, evalEvery: maxSteps, backend: 'cpu', onStep: (r) => void lrs.push(r.learningRate) })
  return lrs
}

describe('learning-rate schedules', () => {
  it('compute cosine, linear, warmup-stable-decay and step factors over a budget', () => {
    expect(factors({ kind: 'cosine', ...base, minFactor: 0 }, 4)).toEqual([1, 0.853553, 0.5, 0.146447])
    expect(factors({ kind: 'linear', ...base, minFactor: 0.2 }, 4)).toEqual([1, 0.8, 0.6, 0.4])
    expect(factors({ kind: 'wsd', ...base, minFactor: 0, decayFraction: 0.5, decayShape: 'linear' }, 8)).toEqual([1, 1, 1, 1, 1, 0.75, 0.5, 0.25])
    expect(factors({ kind: 'wsd', ...base, minFactor: 0, decayFraction: 0.5, decayShape: 'sqrt' }, 8)).toEqual([1, 1, 1, 1, 1, 0.5, 0.292893, 0.133975])
    expect(factors({ kind: 'step', ...base, milestones: [0.5, 0.75], gamma: 0.1 }, 8)).toEqual([1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01])
  })

  it('warm up first, then decay over the steps after the warmup', () => {
    expect(factors({ kind: 'linear', ...base, warmupSteps: 2, minFactor: 0 }, 6)).toEqual([0.5, 1, 1, 0.75, 0.5, 0.25])
    expect(factors({ kind: 'cosine', ...base, warmupSteps: 2, warmupStartFactor: 0.5, minFactor: 0 }, 4)).toEqual([0.75, 1, 1, 0.5])
  })

  it('hold the last factor past an explicit length', () => {
    const spec: ScheduleSpec = { kind: 'linear', ...base, steps: 4, minFactor: 0 }
    expect([3, 4, 10].map((s) => scheduleFactor(spec, s, 4))).toEqual([0.25, 0.25, 0.25])
  })

  it('read the run budget, so one config serves any maxSteps', async () => {
    const s = cosineSchedule()
    const short = await rates([s], 4)
    const long = await rates([cosineSchedule()], 8)
    expect(short.map((lr) => +(lr / 3e-3).toFixed(6))).toEqual([1, 0.853553, 0.5, 0.146447])
    expect(long.map((lr) => +(lr / 3e-3).toFixed(6))).toEqual(factors({ kind: 'cosine', ...base, minFactor: 0 }, 8))
  })

  it('compose with lrWarmup (factors multiply) and leave setup phases alone', async () => {
    const lrs = await rates([lrWarmup({ steps: 2 }), linearSchedule()], 4)
    expect(lrs.map((lr) => +(lr / 3e-3).toFixed(6))).toEqual([0.5, 0.75, 0.5, 0.25])

    const phaseLrs: [string, number][] = []
    const phase: Trick = {
      name: 'phase',
      async setup(ctx: SetupContext) {
        const v = ctx.variables.slice(0, 1)
        await ctx.runPhase({ name: 'warm', steps: 2, variables: v, objective: () => ({ l2: tf.sum(tf.square(v[0]!)) as tf.Scalar }) })
      },
    }
    await train({
      task: smallTask(),
      tricks: [phase, linearSchedule()],
      maxSteps: 6,
      backend: 'cpu',
      onStep: (r) => void phaseLrs.push([r.phase.name, +(r.learningRate / 3e-3).toFixed(6)]),
    })
    // The main phase has 4 of the 6 steps: its schedule spans those 4.
    expect(phaseLrs).toEqual([['warm', 1], ['warm', 1], ['main', 1], ['main', 0.75], ['main', 0.5], ['main', 0.25]])
  })

  it('resume exactly from a checkpoint (no state: the rate is a function of the step and budget)', async () => {
    for (const make of [() => wsdSchedule({ decayFraction: 0.5, warmupSteps: 2 }), () => stepSchedule({ milestones: [0.3, 0.6] })]) {
      await expect(checkCheckpointResume({ makeTrick: make, backend: 'cpu' })).resolves.toEqual({ resumedFrom: 8, steps: 12 })
    }
  })

  it('reject bad options before any work, naming the field', async () => {
    expect(() => cosineSchedule({ minFactor: 2 })).toThrow(/cosineSchedule options: minFactor: got 2/)
    expect(() => linearSchedule({ warmupSteps: -1 })).toThrow(/warmupSteps: got -1/)
    expect(() => wsdSchedule({ decayFraction: 0 })).toThrow(/wsdSchedule options: decayFraction: got 0; decayFraction must be > 0/)
    expect(() => wsdSchedule({ decayFraction: 0.2, decayShape: 'exp' as never })).toThrow(/decayShape: got "exp"/)
    expect(() => stepSchedule({ milestones: [0.5, 0.4] })).toThrow(/milestones: got \[0.5,0.4\]; milestones must be strictly ascending/)
    expect(() => stepSchedule({ milestones: [1.5] })).toThrow(/milestones.0: got 1.5; each milestone must be < 1/)
    expect(() => cosineSchedule({ warmupSteps: 10, steps: 10 })).toThrow(/warmupSteps: got 10; warmupSteps must be smaller than steps/)
    expect(() => cosineSchedule({ minfactor: 0.1 } as never)).toThrow(/unknown option "minfactor" \(did you mean "minFactor"\?\)/)
    await expect(train({ task: smallTask(), tricks: [cosineSchedule({ warmupSteps: 5 })], maxSteps: 5, backend: 'cpu' })).rejects.toThrow(ConfigError)
  })
})
