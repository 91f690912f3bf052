import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { NonFiniteLossError, lrWarmup, gradClip, train, type Trick } from '../src/index.js'
import { numTensors, smallTask } from './helpers.js'

describe('determinism', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`gives identical numbers for the same seed on ${backend}`, async () => {
      const run = () => train({ task: smallTask(), tricks: [lrWarmup({ steps: 5 })], maxSteps: 15, evalEvery: 5, backend, seed: 3 })
      const [a, b] = [await run(), await run()]
      expect(a.losses).toEqual(b.losses)
      expect(a.history.map((h) => h.metrics)).toEqual(b.history.map((h) => h.metrics))
    })
  }
  it('gives different numbers for different seeds', async () => {
    const a = await train({ task: smallTask(), maxSteps: 5, backend: 'cpu', seed: 1 })
    const b = await train({ task: smallTask(), maxSteps: 5, backend: 'cpu', seed: 2 })
    expect(a.losses).not.toEqual(b.losses)
  })
  it('keeps the data order of a seed unchanged when a trick draws random numbers', async () => {
    const seen: number[][] = []
    const drawer: Trick = { name: 'drawer', afterStep: (ctx) => void ctx.rng('drawer').next() }
    const task = smallTask()
    const firstBatch = (tricks: Trick[]) =>
      train({ task, tricks, maxSteps: 3, backend: 'cpu', seed: 5, optimizer: { name: 'sgd', learningRate: 1e-9 } }).then((r) => seen.push(r.losses.map((l) => Math.round(l * 1e4))))
    await firstBatch([])
    await firstBatch([drawer])
    expect(seen[0]).toEqual(seen[1])
  })
})

describe('no tensor leaks', () => {
  it('keeps numTensors flat across steps and frees everything after the run', async () => {
    await train({ task: smallTask(), maxSteps: 1, backend: 'wasm' })
    const before = numTensors()
    const counts: number[] = []
    await train({
      task: smallTask(),
      tricks: [lrWarmup({ steps: 3 }), gradClip({ maxNorm: 0.1 })],
      maxSteps: 12,
      evalEvery: 4,
      backend: 'wasm',
      onStep: () => counts.push(numTensors()),
    })
    expect(new Set(counts.slice(1)).size).toBe(1)
    expect(numTensors()).toBe(before)
  })
})

describe('non-finite loss', () => {
  it('stops with the step, the loss parts and the tricks in play, before changing the weights', async () => {
    const poison: Trick = {
      name: 'poison',
      loss: (ctx, parts) => ({ ...parts, bad: ctx.step >= 2 ? tf.scalar(Number.NaN) : tf.scalar(0) }),
    }
    const before = numTensors()
    const err = await train({ task: smallTask(), tricks: [lrWarmup({ steps: 2 }), poison], maxSteps: 10, backend: 'cpu' }).catch((e) => e)
    expect(err).toBeInstanceOf(NonFiniteLossError)
    expect(err.step).toBe(3)
    expect(err.lossParts.bad).toBeNaN()
    expect(Number.isFinite(err.lossParts.ce)).toBe(true)
    expect(err.tricks).toEqual(['lr-warmup', 'poison'])
    expect(err.message).toMatch(/non-finite loss at step 3 \(loss parts: ce=[\d.]+, bad=NaN; tricks in play: lr-warmup, poison\)/)
    expect(numTensors()).toBe(before)
  })
})
