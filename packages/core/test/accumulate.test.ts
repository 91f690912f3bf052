import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { gradClip, train, type TrainOptions } from '../src/index.js'
import { resultFingerprint } from '../src/testing/resume.js'
import { numTensors, recorder, smallTask } from './helpers.js'

const weightsOf = (vars: readonly tf.Variable[]) => vars.flatMap((v) => Array.from(v.dataSync()))

async function trained(batchSize: number, accumulate: number, extra: Partial<TrainOptions> = {}) {
  let weights: number[] = []
  const r = await train({
    task: smallTask({ trainSize: 64, evalSize: 64, batchSize }),
    seed: 4,
    maxSteps: 6,
    evalEvery: 3,
    backend: 'cpu',
    accumulate,
    onEnd: (_r, ctx) => void (weights = weightsOf(ctx.variables)),
    ...extra,
  })
  return { r, weights }
}

describe('gradient accumulation', () => {
  it('k micro-batches of B equal one batch of k*B within float32 tolerance (mean loss)', async () => {
    const big = await trained(32, 1)
    const micro = await trained(8, 4)
    expect(micro.r.steps).toBe(6)
    micro.r.losses.forEach((l, i) => expect(l).toBeCloseTo(big.r.losses[i]!, 5))
    micro.r.history.forEach((h, i) => expect(h.metrics.loss).toBeCloseTo(big.r.history[i]!.metrics.loss!, 5))
    const maxDiff = Math.max(...micro.weights.map((w, i) => Math.abs(w - big.weights[i]!)))
    expect(maxDiff).toBeLessThan(1e-5)
    // and differs from taking one micro-batch per step
    const single = await trained(8, 1)
    expect(Math.max(...single.weights.map((w, i) => Math.abs(w - big.weights[i]!)))).toBeGreaterThan(1e-3)
  })

  it('tricks see one step per optimizer step; batch-level hooks run per micro-batch', async () => {
    const log: string[] = []
    await trained(8, 3, { tricks: [recorder('r', log)], maxSteps: 2, evalEvery: 2 })
    const count = (hook: string) => log.filter((l) => l === `r:${hook}`).length
    expect([count('learningRate'), count('afterBackward'), count('afterStep')]).toEqual([2, 2, 2])
    expect([count('beforeStep'), count('beforeForward'), count('loss')]).toEqual([6, 6, 6])
  })

  it('reports every micro-batch source on the step, holds numTensors flat and frees everything', async () => {
    await trained(8, 3, { tricks: [gradClip({ maxNorm: 0.5 })] })
    const before = numTensors()
    const counts: number[] = []
    const sources: number[] = []
    await trained(8, 3, { tricks: [gradClip({ maxNorm: 0.5 })], onStep: (r) => void (counts.push(numTensors()), sources.push(r.sources.length)) })
    expect(new Set(counts.slice(1)).size).toBe(1)
    expect(new Set(sources)).toEqual(new Set([3]))
    expect(numTensors()).toBe(before)
  })

  it('resumes from a checkpoint bit for bit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-acc-'))
    try {
      const reference = await trained(8, 3)
      const checkpoint = { dir, everySteps: 2 }
      await expect(trained(8, 3, { checkpoint, onStep: (r) => { if (r.step === 5) throw new Error('interrupted') } })).rejects.toThrow('interrupted')
      const resumed = await trained(8, 3, { checkpoint, resume: true })
      expect(resumed.r.resumedFrom?.step).toBe(4)
      expect(resultFingerprint(resumed.r)).toBe(resultFingerprint(reference.r))
      expect(resumed.weights).toEqual(reference.weights)
      // a checkpoint written with another accumulate is refused
      await expect(trained(8, 2, { checkpoint, resume: true })).rejects.toThrow(/accumulate: 3 → 2/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('rejects a bad value before any work', async () => {
    await expect(trained(8, 0)).rejects.toThrow(/accumulate: got 0/)
    await expect(trained(8, 1.5)).rejects.toThrow(/accumulate: got 1.5/)
  })
})
