import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { SeedStreams, silentLogger, train, useBackend, type Trick } from '@converge/core'
import { fashionDiffusion, type FashionDiffusionBatch } from '../../src/index.js'
import { FASHION_MNIST_FIXTURE_DIR } from '../fixtures/fashion-mnist.js'

beforeAll(async () => {
  await useBackend('cpu')
})

const tiny = { dir: FASHION_MNIST_FIXTURE_DIR, width: 8, depth: 2, heads: 1, batchSize: 4, valSize: 20, sampleCount: 20, sampleSteps: 2, sampleChunk: 8, probeLayer: 1 }

describe('fashion-diffusion task', () => {
  it('trains with v-loss on real images, evaluates all metrics, frees everything, and is deterministic', async () => {
    const before = tf.memory().numTensors
    const run = () => train({ task: fashionDiffusion(tiny), maxSteps: 4, evalEvery: 2, backend: 'cpu', seed: 2, log: silentLogger })
    const a = await run()
    const b = await run()
    expect(a.losses).toEqual(b.losses)
    const last = a.history.at(-1)!.metrics
    expect(Object.keys(last).sort()).toEqual(['fd', 'probeAcc', 'sampleAcc', 'vloss'])
    expect(last.fd).toBeGreaterThan(0)
    // the untrained model predicts v = 0 (zero-init final layer): v-loss = E‖ε − x₀‖² = 1 + E[x₀²] > 1.5 (mostly −1 background)
    expect(a.history[0]!.metrics.vloss).toBeGreaterThan(1.5)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('batches are real images in [−1, 1] with labels, epoch by epoch from the run stream', async () => {
    const inst = await fashionDiffusion({ ...tiny, labelDropout: 0 }).create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `fd-test/${n}` })
    const rng = new SeedStreams(3).stream('data')
    const b = (await inst.batch({ step: 0, sources: ['train'], rng, stream: 'main' })) as FashionDiffusionBatch
    const x = b.x0.dataSync()
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1)
    expect(Math.max(...x)).toBeLessThanOrEqual(1)
    expect(Math.max(...x)).toBeGreaterThan(0) // an item, not background only
    expect(b.x0.shape).toEqual([4, 16, 16, 1])
    expect(Array.from(b.labels.dataSync()).every((l) => l >= 0 && l < 10)).toBe(true)
    expect(inst.capabilities!.generative!.tokens).toEqual({ tokens: 16, width: 8 })
    tf.dispose([b.x0, b.noise, b.t, b.labels])
    inst.dispose()
  })

  it('evaluates with whatever weights a trick swaps in around evaluation (EMA-style), and restores them', async () => {
    let saved: tf.Tensor[] = []
    const swap: Trick = {
      name: 'zero-weights-for-eval',
      beforeEvaluate: (ctx) => {
        saved = ctx.variables.map((v) => v.clone())
        for (const v of ctx.variables) v.assign(tf.zerosLike(v))
      },
      afterEvaluate: (ctx) => {
        ctx.variables.forEach((v, i) => v.assign(saved[i]!))
        tf.dispose(saved)
      },
    }
    const plain = await train({ task: fashionDiffusion(tiny), maxSteps: 2, evalEvery: 2, backend: 'cpu', seed: 5, log: silentLogger })
    const swapped = await train({ task: fashionDiffusion(tiny), tricks: [swap], maxSteps: 2, evalEvery: 2, backend: 'cpu', seed: 5, log: silentLogger })
    expect(swapped.losses).toEqual(plain.losses)
    // all-zero weights predict v = 0: the validation v-loss of an untrained model
    expect(swapped.history.at(-1)!.metrics.vloss).not.toBeCloseTo(plain.history.at(-1)!.metrics.vloss!, 6)
  })

  it('32×32 (padding) gives 64 tokens at patch 4 and scores its samples at 16', async () => {
    const before = tf.memory().numTensors
    const r = await train({ task: fashionDiffusion({ ...tiny, imageSize: 32 }), maxSteps: 1, evalEvery: 1, backend: 'cpu', seed: 2, log: silentLogger })
    expect(r.history.at(-1)!.metrics.fd).toBeGreaterThan(0)
    const inst = await fashionDiffusion({ ...tiny, imageSize: 32 }).create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `fd32/${n}` })
    expect(inst.capabilities!.hiddenStates!.shape('block1')).toEqual({ tokens: 64, width: 8 })
    inst.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('rejects bad options clearly', () => {
    expect(() => fashionDiffusion({ patch: 3 })).toThrow(/patch must divide/)
    expect(() => fashionDiffusion({ imageSize: 28 as never })).toThrow(/imageSize/)
    expect(() => fashionDiffusion({ depth: 2, probeLayer: 3 })).toThrow(/probeLayer/)
    expect(() => fashionDiffusion({ sampleCount: 5 })).toThrow(/sampleCount/)
    expect(() => fashionDiffusion({ ema: 0.99 } as never)).toThrow(/ema/)
  })
})
