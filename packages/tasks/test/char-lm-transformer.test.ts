import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, SeedStreams, silentLogger, train, type StepInfo } from '@converge/core'
import { charLmSource, charLmTransformer } from '../src/index.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const small = { vocab: 8, sourceOrder: 2, contextLength: 8, dModel: 16, heads: 2, layers: 1, ffnDim: 32, trainChars: 8192, evalChars: 1024, batchSize: 8 }

describe('the transformer char-LM task', () => {
  it('rejects bad options with the field named', () => {
    expect(() => charLmTransformer({ dModel: 10, heads: 4 })).toThrow(ConfigError)
    expect(() => charLmTransformer({ dModel: 10, heads: 4 })).toThrow(/heads: .*divide dModel/)
    expect(() => charLmTransformer({ contextLength: 2, sourceOrder: 3 })).toThrow(/contextLength/)
    expect(() => charLmTransformer({ layer: 2 } as never)).toThrow(/layer/)
  })

  it('names its variables in a fixed order: embedding, positions, per-layer gains and kernels, final gain, head', async () => {
    const inst = await charLmTransformer(small).create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `r/${n}` })
    expect(inst.variables.map((v) => [v.name, v.shape])).toEqual([
      ['r/embedding', [8, 16]],
      ['r/positions', [8, 16]],
      ['r/layer1/attn_norm/gain', [16]],
      ['r/layer1/attn/query/kernel', [16, 16]],
      ['r/layer1/attn/key/kernel', [16, 16]],
      ['r/layer1/attn/value/kernel', [16, 16]],
      ['r/layer1/attn/output/kernel', [16, 16]],
      ['r/layer1/mlp_norm/gain', [16]],
      ['r/layer1/mlp/gate/kernel', [16, 32]],
      ['r/layer1/mlp/up/kernel', [16, 32]],
      ['r/layer1/mlp/down/kernel', [32, 16]],
      ['r/final_norm/gain', [16]],
      ['r/head/kernel', [16, 8]],
    ])
    const m = await inst.evaluate()
    expect(Object.keys(m).sort()).toEqual(['excess', 'floor', 'loss'])
    expect(Math.abs(m.loss! - Math.log(8))).toBeLessThan(0.05) // std-0.02 init: near uniform
    inst.dispose()
  })

  it('is causal: changing a later input leaves earlier logits unchanged', async () => {
    const inst = await charLmTransformer(small).create({ seed: 2, streams: new SeedStreams(2), log: silentLogger, variableName: (n) => n })
    const a = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 0]], [1, 8], 'int32')
    const b = tf.tensor2d([[1, 2, 3, 4, 5, 0, 0, 3]], [1, 8], 'int32')
    const info = {} as StepInfo // the forward pass reads nothing from it
    const batch = (x: tf.Tensor2D) => ({ sources: [], x, y: tf.zeros([8, 8]) as tf.Tensor2D })
    const la = inst.forward(batch(a), info).logits.arraySync()
    const lb = inst.forward(batch(b), info).logits.arraySync()
    for (let i = 0; i < 5; i++) for (let v = 0; v < 8; v++) expect(lb[i]![v]).toBeCloseTo(la[i]![v]!, 5)
    expect(Math.max(...lb[6]!.map((x, v) => Math.abs(x - la[6]![v]!)))).toBeGreaterThan(1e-4)
    inst.dispose()
  })

  it('scores only positions with the full source context: the floor is near the entropy rate', async () => {
    const r = await train({ task: charLmTransformer({ ...small, evalChars: 4096 }), maxSteps: 1, backend: 'cpu' })
    expect(Math.abs(r.history[0]!.metrics.floor! - charLmSource({ vocab: 8, sourceOrder: 2 }).entropyRate)).toBeLessThan(0.06)
  })

  it('learns with Adam, frees its tensors, and is deterministic per seed', async () => {
    const before = tf.memory().numTensors
    const run = () => train({ task: charLmTransformer({ ...small, learningRate: 1e-2 }), maxSteps: 40, evalEvery: 40, backend: 'cpu', seed: 5 })
    const a = await run()
    expect(tf.memory().numTensors).toBe(before)
    expect(a.history.at(-1)!.metrics.loss!).toBeLessThan(a.history[0]!.metrics.loss! - 0.2)
    const b = await run()
    expect(b.losses).toEqual(a.losses)
  })
})

describe('the transformer char-LM task on a real corpus', () => {
  const text = { corpus: 'moby-dick', contextLength: 8, dModel: 16, heads: 2, layers: 1, ffnDim: 32, evalChars: 512, batchSize: 8 } as const

  it('rejects the synthetic source’s options and learns Moby-Dick, deterministically and without leaks', async () => {
    expect(() => charLmTransformer({ ...text, sourceOrder: 2 })).toThrow(/sourceOrder: apply to corpus "markov" only/)
    expect(charLmTransformer({ corpus: 'moby-dick' }).target.value).toBe(2.2)
    const task = charLmTransformer({ ...text, learningRate: 1e-2, targetLoss: 2.5 })
    const before = tf.memory().numTensors
    const run = () => train({ task, maxSteps: 30, evalEvery: 30, backend: 'cpu', seed: 3 })
    const a = await run()
    expect(tf.memory().numTensors).toBe(before)
    expect(Object.keys(a.history[0]!.metrics)).toEqual(['loss'])
    expect(a.history.at(-1)!.metrics.loss!).toBeLessThan(a.history[0]!.metrics.loss! - 0.8)
    expect((await run()).losses).toEqual(a.losses)
  })
})
