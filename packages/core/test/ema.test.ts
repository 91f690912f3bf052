import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { ema, train, type TrainOptions } from '../src/index.js'
import { checkCheckpointResume, checkNoTensorLeak, checkStateRoundTrip } from '../src/testing/index.js'
import { smallTask } from './helpers.js'

const options = (extra: Partial<TrainOptions> = {}): TrainOptions => ({ task: smallTask({ trainSize: 128, evalSize: 128 }), seed: 6, maxSteps: 12, evalEvery: 4, backend: 'cpu', ...extra })
const flat = (ts: readonly tf.Tensor[]) => ts.flatMap((t) => Array.from(t.dataSync()))

describe('ema (exponential moving average of the weights)', () => {
  it('averages the live weights step by step from startStep on', async () => {
    const trick = ema({ decay: 0.5, startStep: 2, reportLive: false })
    const seen: number[][] = []
    let averaged: number[] = []
    await train(options({ maxSteps: 4, tricks: [trick], onStep: (_r, ctx) => void seen.push(flat(ctx.variables)), onEnd: () => void (averaged = flat(trick.averaged())) }))
    // steps 1 and 2 copy the weights; steps 3 and 4 average: e = 0.5 e + 0.5 w
    const expected = seen[1]!.map((w2, i) => 0.5 * (0.5 * w2 + 0.5 * seen[2]![i]!) + 0.5 * seen[3]![i]!)
    averaged.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 6))
  })

  it('evaluates on the averaged weights, reports the live metrics beside them, and leaves training unchanged', async () => {
    const plain = await train(options())
    const r = await train(options({ tricks: [ema({ decay: 0.9 })] }))
    expect(r.losses).toEqual(plain.losses)
    expect(r.history.map((h) => h.metrics['live.loss'])).toEqual(plain.history.map((h) => h.metrics.loss))
    expect(r.history.slice(1).map((h) => h.metrics.loss)).not.toEqual(plain.history.slice(1).map((h) => h.metrics.loss))
  })

  it('with decay 0 (the negative control) the averaged metrics equal the live ones', async () => {
    const r = await train(options({ tricks: [ema({ decay: 0 })] }))
    for (const h of r.history) expect(h.metrics.loss).toBe(h.metrics['live.loss'])
  })

  it('keeps the average in its state and resumes exactly; holds numTensors flat', async () => {
    await checkStateRoundTrip({ makeTrick: () => ema({ decay: 0.8 }), backend: 'cpu' })
    await expect(checkCheckpointResume({ makeTrick: () => ema({ decay: 0.8 }), backend: 'cpu' })).resolves.toEqual({ resumedFrom: 8, steps: 12 })
    await checkNoTensorLeak({ makeTrick: () => ema({ decay: 0.8 }), backend: 'cpu' })
  })

  it('rejects bad options before any work', () => {
    expect(() => ema({ decay: 1 })).toThrow(/ema options: decay: got 1; decay must be < 1/)
    expect(() => ema({ decay: -0.1 })).toThrow(/decay: got -0.1/)
    expect(() => ema({ decay: 0.9, startStep: -1 })).toThrow(/startStep: got -1/)
  })
})
