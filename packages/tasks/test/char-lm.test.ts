import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, createRng, SeedStreams, silentLogger, train } from '@converge/core'
import { charLm, charLmSource } from '../src/index.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const small = { vocab: 8, sourceOrder: 2, contextLength: 4, embeddingDim: 4, trainChars: 8192, evalChars: 1024, batchSize: 32 }

describe('the Markov source', () => {
  it('has a proper transition table, a stationary distribution and an entropy rate below log V', () => {
    const s = charLmSource(small)
    const V = 8
    const contexts = V ** 2
    for (let c = 0; c < contexts; c++) {
      let row = 0
      for (let v = 0; v < V; v++) row += s.table[c * V + v]!
      expect(row).toBeCloseTo(1, 12)
    }
    expect(s.stationary.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10)
    // π P = π, with the newest symbol in the highest place of the context index
    const next = new Float64Array(contexts)
    for (let c = 0; c < contexts; c++) for (let x = 0; x < V; x++) next[Math.floor(c / V) + x * V]! += s.stationary[c]! * s.table[c * V + x]!
    for (let c = 0; c < contexts; c++) expect(next[c]).toBeCloseTo(s.stationary[c]!, 10)
    expect(s.entropyRate).toBeGreaterThan(0.3)
    expect(s.entropyRate).toBeLessThan(Math.log(V))
  })

  it('samples follow the table: empirical next-symbol frequencies after the most common context', () => {
    const s = charLmSource(small)
    const V = 8
    const text = s.sample(200_000, createRng('freq'))
    let best = 0
    for (let c = 1; c < V * V; c++) if (s.stationary[c]! > s.stationary[best]!) best = c
    const counts = new Float64Array(V)
    let n = 0
    for (let t = 2; t < text.length; t++) {
      if (text[t - 1]! * V + text[t - 2]! !== best) continue // newest symbol in the highest place
      counts[text[t]!]!++
      n++
    }
    expect(n).toBeGreaterThan(1000)
    for (let v = 0; v < V; v++) expect(Math.abs(counts[v]! / n - s.table[best * V + v]!)).toBeLessThan(4 * Math.sqrt(0.25 / n))
  })

  it('is fixed by dataSeed', () => {
    const a = charLmSource({ ...small, dataSeed: 3 })
    expect(charLmSource({ ...small, dataSeed: 3 }).table).toEqual(a.table)
    expect(charLmSource({ ...small, dataSeed: 4 }).table).not.toEqual(a.table)
    expect(a.sample(50, createRng('x'))).toEqual(a.sample(50, createRng('x')))
  })
})

describe('the char-LM task', () => {
  it('rejects bad options with the field named', () => {
    expect(() => charLm({ contextLength: 2, sourceOrder: 3 })).toThrow(ConfigError)
    expect(() => charLm({ contextLength: 2, sourceOrder: 3 })).toThrow(/contextLength: .*at least sourceOrder/)
    expect(() => charLm({ vocab: 1 })).toThrow(/vocab: got 1/)
    expect(() => charLm({ sharpnes: 2 } as never)).toThrow(/sharpnes/)
  })

  it('names its variables through variableName, in a fixed order, with 2-D kernels to project', async () => {
    const task = charLm(small)
    const inst = await task.create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `runX/${n}` })
    expect(inst.variables.map((v) => [v.name, v.shape])).toEqual([
      ['runX/embedding', [8, 4]],
      ['runX/block1/up/kernel', [16, 64]],
      ['runX/block1/up/bias', [64]],
      ['runX/block1/down/kernel', [64, 16]],
      ['runX/block1/down/bias', [16]],
      ['runX/block2/up/kernel', [16, 64]],
      ['runX/block2/up/bias', [64]],
      ['runX/block2/down/kernel', [64, 16]],
      ['runX/block2/down/bias', [16]],
      ['runX/output/kernel', [16, 8]],
      ['runX/output/bias', [8]],
    ])
    const m = await inst.evaluate()
    expect(Object.keys(m).sort()).toEqual(['excess', 'floor', 'loss'])
    expect(m.excess).toBeCloseTo(m.loss! - m.floor!, 10)
    // at init the model is close to uniform: loss near log V, far above the floor
    expect(Math.abs(m.loss! - Math.log(8))).toBeLessThan(0.3)
    inst.dispose()
  })

  it('reports a floor that is the true source’s held-out loss, close to the entropy rate', async () => {
    const task = charLm({ ...small, evalChars: 4096 })
    const s = charLmSource(small)
    expect(task.target).toEqual({ metric: 'loss', direction: 'min', value: expect.any(Number) })
    const r = await train({ task, maxSteps: 1, backend: 'cpu' })
    const floor = r.history[0]!.metrics.floor!
    expect(Math.abs(floor - s.entropyRate)).toBeLessThan(0.06) // 4096 positions: a few standard errors
    expect(task.target.value).toBeCloseTo(floor + 0.1, 10) // default targetExcess
  })

  it('learns with Adam, frees its tensors, and is deterministic per seed', async () => {
    const before = tf.memory().numTensors
    const run = () => train({ task: charLm({ ...small, learningRate: 1e-2 }), maxSteps: 60, evalEvery: 60, backend: 'cpu', seed: 5 })
    const a = await run()
    expect(tf.memory().numTensors).toBe(before)
    const first = a.history[0]!.metrics.loss!
    const last = a.history.at(-1)!.metrics.loss!
    expect(last).toBeLessThan(first - 0.2)
    const b = await run()
    expect(b.losses).toEqual(a.losses)
  })
})

describe('the char-LM task on a real corpus', () => {
  const text = { corpus: 'moby-dick', contextLength: 4, embeddingDim: 4, blocks: 1, evalChars: 1024, batchSize: 32 } as const

  it('rejects options that do not apply to the chosen corpus, naming them', () => {
    expect(() => charLm({ ...text, vocab: 40 })).toThrow(/vocab: apply to corpus "markov" only/)
    expect(() => charLm({ ...text, trainChars: 1000, targetExcess: 0.2 })).toThrow(/trainChars, targetExcess: apply to corpus "markov" only/)
    expect(() => charLm({ targetLoss: 2 })).toThrow(/targetLoss: got 2; applies to a real corpus only/)
    expect(() => charLm({ corpus: 'shakespeare' } as never)).toThrow(/corpus: got "shakespeare"/)
    expect(() => charLm({ ...text, evalChars: 10_000_000 })).toThrow(/evalChars: got 10000000; corpus "moby-dick" holds/)
  })

  it('learns Moby-Dick on its own alphabet, reports only the loss, and is deterministic per seed', async () => {
    const task = charLm({ ...text, targetLoss: 2.5, learningRate: 1e-2 })
    expect(task.target).toEqual({ metric: 'loss', direction: 'min', value: 2.5 })
    expect(charLm({ corpus: 'moby-dick' }).target.value).toBe(2.05)
    const before = tf.memory().numTensors
    const run = () => train({ task, maxSteps: 40, evalEvery: 40, backend: 'cpu', seed: 2 })
    const a = await run()
    expect(tf.memory().numTensors).toBe(before)
    expect(Object.keys(a.history[0]!.metrics)).toEqual(['loss'])
    const first = a.history[0]!.metrics.loss!
    expect(first).toBeGreaterThan(Math.log(60)) // near uniform over the ~80-symbol alphabet at init
    expect(a.history.at(-1)!.metrics.loss!).toBeLessThan(first - 1)
    expect((await run()).losses).toEqual(a.losses)
  })
})
