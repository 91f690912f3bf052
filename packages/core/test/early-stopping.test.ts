import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { earlyStopping, improves, train, type TrainOptions, type Trick } from '../src/index.js'
import { numTensors, smallTask } from './helpers.js'

let dir: string
beforeEach(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-es-'))))
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Replaces metric `score` with the next value of `values` at each evaluation. */
function scripted(values: number[]): Trick {
  let i = 0
  return { name: 'scripted', afterEvaluate: (_ctx, m) => ({ ...m, score: values[Math.min(i++, values.length - 1)]! }), state: () => ({ i }), loadState: (s) => void (i = Number(s.i)) }
}

const options = (extra: Partial<TrainOptions> = {}): TrainOptions => ({ task: smallTask({ trainSize: 64, evalSize: 64 }), seed: 5, maxSteps: 20, evalEvery: 1, backend: 'cpu', ...extra })
const weightsOf = (vars: readonly tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()))

describe('earlyStopping', () => {
  it('improves: by more than minDelta in the direction; NaN never improves', () => {
    expect(improves(0.6, 0.5, 'max', 0.05)).toBe(true)
    expect(improves(0.54, 0.5, 'max', 0.05)).toBe(false)
    expect(improves(0.4, 0.5, 'min', 0)).toBe(true)
    expect(improves(Number.NaN, null, 'min', 0)).toBe(false)
    expect(improves(3, null, 'min', 0)).toBe(true)
  })

  it('stops after `patience` evaluations without an improvement by more than minDelta', async () => {
    const es = earlyStopping({ metric: 'score', direction: 'max', patience: 2, minDelta: 0.1 })
    // evaluations at steps 0, 1, 2, 3: 0.1, 0.5 (best), 0.55 (< 0.5 + 0.1), 0.52 -> stop after step 3
    const r = await train(options({ tricks: [scripted([0.1, 0.5, 0.55, 0.52, 0.9]), es] }))
    expect(r.stopReason).toBe('early stopping')
    expect(r.steps).toBe(3)
    expect(es.best).toEqual({ step: 1, value: 0.5 })
  })

  it('watches the target metric in its direction by default, and a run that keeps improving uses its budget', async () => {
    const es = earlyStopping({ patience: 50 })
    const r = await train(options({ tricks: [es], maxSteps: 6, evalEvery: 2 }))
    expect(r.stopReason).toBe('budget')
    expect(es.best?.value).toBe(Math.max(...r.history.map((h) => h.metrics.accuracy!)))
  })

  it('restores the best weights at the end, before onEnd, and frees every copy', async () => {
    await train(options({ tricks: [scripted([0.1, 0.9, 0.2]), earlyStopping({ metric: 'score', direction: 'max', patience: 3 })] }))
    const before = numTensors()
    let atBest: number[][] = []
    let atEnd: number[][] = []
    let lastTrained: number[][] = []
    const es = earlyStopping({ metric: 'score', direction: 'max', patience: 3 })
    const r = await train(
      options({
        tricks: [scripted([0.1, 0.9, 0.2]), es],
        onEval: (rec, ctx) => {
          if (rec.step === 1) atBest = weightsOf(ctx.variables)
          lastTrained = weightsOf(ctx.variables)
        },
        onEnd: (_r, ctx) => void (atEnd = weightsOf(ctx.variables)),
      }),
    )
    expect(r.steps).toBe(4)
    expect(es.best).toEqual({ step: 1, value: 0.9 })
    expect(atEnd).toEqual(atBest)
    expect(lastTrained).not.toEqual(atBest)
    expect(numTensors()).toBe(before)
  })

  it('with restoreBest: false, the final weights stay and bestWeights() reads the best', async () => {
    let best: number[][] = []
    let final: number[][] = []
    let kept: number[][] = []
    const es = earlyStopping({ metric: 'score', direction: 'max', patience: 2, restoreBest: false })
    await train(
      options({
        tricks: [scripted([0.1, 0.9, 0.2]), es],
        onEval: (rec, ctx) => void (rec.step === 1 && (best = weightsOf(ctx.variables))),
        onEnd: (_r, ctx) => {
          final = weightsOf(ctx.variables)
          kept = Object.values(es.bestWeights()!).map((t) => Array.from(t.dataSync()))
        },
      }),
    )
    expect(kept).toEqual(best)
    expect(final).not.toEqual(best)
  })

  it('resumes from a checkpoint to the same stop, best and restored weights', async () => {
    const run = async (extra: Partial<TrainOptions>) => {
      const es = earlyStopping({ metric: 'score', direction: 'max', patience: 4 })
      let final: number[][] = []
      const r = await train(options({ tricks: [scripted([0.1, 0.3, 0.9, 0.5, 0.95, 0.4, 0.6, 0.7, 0.8]), es], onEnd: (_r, ctx) => void (final = weightsOf(ctx.variables)), ...extra }))
      return { steps: r.steps, stopReason: r.stopReason, best: es.best, final }
    }
    const reference = await run({})
    expect(reference).toMatchObject({ steps: 8, stopReason: 'early stopping', best: { step: 4, value: 0.95 } })
    const checkpoint = { dir, everySteps: 5 }
    await expect(run({ checkpoint, onStep: (r) => { if (r.step === 7) throw new Error('interrupted') } })).rejects.toThrow('interrupted')
    expect(await run({ checkpoint, resume: true })).toEqual(reference)
  })

  it('rejects bad options before any work', async () => {
    expect(() => earlyStopping({ patience: 0 })).toThrow(/earlyStopping options: patience: got 0/)
    expect(() => earlyStopping({ patience: 2, minDelta: -1 })).toThrow(/minDelta: got -1/)
    expect(() => earlyStopping({ patience: 2, keepBest: false })).toThrow(/restoreBest needs keepBest: true/)
    await expect(train(options({ tricks: [earlyStopping({ patience: 2, metric: 'loss' })] }))).rejects.toThrow(/metric "loss" is not the target metric; give its direction/)
  })
})
