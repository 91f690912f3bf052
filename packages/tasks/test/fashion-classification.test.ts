import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, createRng, SeedStreams, silentLogger, train } from '@converge/core'
import { fashionClassification } from '../src/index.js'
import { FASHION_MNIST_FIXTURE_DIR } from './fixtures/fashion-mnist.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

// The shipped fixture: 200 real training images; 50 held out for validation.
const fixture = { dir: FASHION_MNIST_FIXTURE_DIR, validationSize: 50, batchSize: 32 } as const

describe('fashionClassification', () => {
  it('rejects bad options with the field named, and a missing data set before any run', () => {
    expect(() => fashionClassification({ model: 'resnet' } as never)).toThrow(ConfigError)
    expect(() => fashionClassification({ model: 'resnet' } as never)).toThrow(/model: got "resnet"/)
    expect(() => fashionClassification({ imageSize: 20 } as never)).toThrow(/imageSize: got 20/)
    expect(() => fashionClassification({ augment: { crop: 2 } } as never)).toThrow(/unknown option "crop"/)
    expect(() => fashionClassification({ ...fixture, batchsize: 8 } as never)).toThrow(/did you mean "batchSize"/)
    const empty = mkdtempSync(join(tmpdir(), 'no-fmnist-'))
    expect(() => fashionClassification({ dir: empty })).toThrow(/Fashion-MNIST not found: looked in .*sudo apt-get install dataset-fashion-mnist/)
  })

  it('holds out a validation set that is fixed by dataSeed and too large a one is an error', async () => {
    const init = { seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n: string) => `fc/${n}` }
    await expect(async () => (await fashionClassification({ ...fixture, validationSize: 200 }).create(init)).dispose()).rejects.toThrow(/validationSize 200 leaves no training images out of 200/)
    await expect(async () => (await fashionClassification({ ...fixture, trainSize: 151 }).create(init)).dispose()).rejects.toThrow(/trainSize 151 exceeds the 150/)
  })

  it('MLP: learns real images well above chance, frees its tensors, and is deterministic per seed', async () => {
    const before = tf.memory().numTensors
    const run = (seed: number, maxSteps = 60) => train({ task: fashionClassification({ ...fixture, hidden: 64, learningRate: 3e-3 }), maxSteps, evalEvery: 30, backend: 'cpu', seed })
    const a = await run(3)
    expect(tf.memory().numTensors).toBe(before)
    expect(a.history[0]!.metrics.accuracy).toBeLessThan(0.4)
    expect(a.history.at(-1)!.metrics.accuracy).toBeGreaterThan(0.6) // chance is 0.1
    const b = await run(3)
    expect(b.losses).toEqual(a.losses)
    const c = await run(4, 5)
    expect(c.losses).not.toEqual(a.losses.slice(0, 5))
  })

  it('CNN at 16×16 with augmentation: the described layers, a spatial hidden state, loss falls, no leaks', async () => {
    const task = fashionClassification({ ...fixture, model: 'cnn', imageSize: 16, batchSize: 16, augment: { cropPadding: 2, flip: true }, learningRate: 1e-2 })
    const inst = await task.create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `cnn/${n}` })
    expect(inst.variables.map((v) => [v.name, v.shape])).toEqual([
      ['cnn/conv1/kernel', [3, 3, 1, 8]],
      ['cnn/conv1/bias', [8]],
      ['cnn/conv2/kernel', [3, 3, 8, 16]],
      ['cnn/conv2/bias', [16]],
      ['cnn/dense/kernel', [4 * 4 * 16, 10]],
      ['cnn/dense/bias', [10]],
    ])
    const hs = inst.capabilities!.hiddenStates!
    expect(hs.shape('conv2')).toEqual({ tokens: 16, width: 16 })
    inst.dispose()
    const before = tf.memory().numTensors
    const r = await train({ task, maxSteps: 20, evalEvery: 20, backend: 'cpu', seed: 1 })
    expect(tf.memory().numTensors).toBe(before)
    const first = r.losses.slice(0, 5).reduce((s, v) => s + v, 0) / 5
    const last = r.losses.slice(-5).reduce((s, v) => s + v, 0) / 5
    expect(last).toBeLessThan(first - 0.2)
  })

  it('saves its epoch cursors in state(): a restored instance draws the same next batch', async () => {
    const task = fashionClassification({ ...fixture, augment: { cropPadding: 1, flip: true } })
    let instances = 0
    const make = () => task.create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `st${++instances}/${n}` })
    const a = await make()
    const rng = createRng('data')
    const draw = async (inst: typeof a) => {
      const b = await inst.batch({ step: 0, sources: ['main'], rng, stream: 'main' })
      const v = [Array.from(b.x.dataSync()), Array.from(b.y.dataSync())]
      tf.dispose([b.x, b.y])
      return v
    }
    for (let i = 0; i < 6; i++) await draw(a) // past the first epoch of 150 images
    const saved = a.state!()
    const rngState = rng.state()
    const next = await draw(a)
    const b = await make()
    b.loadState!(saved)
    rng.loadState(rngState)
    expect(await draw(b)).toEqual(next)
    a.dispose()
    b.dispose()
  })
})
