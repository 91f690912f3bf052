import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createRng, exportWeights, loadWeights, silentLogger, train, useBackend, type RunContext, type Trick } from '@converge/core'
import { loadFashionMnist } from '../../src/data/index.js'
import { drawFashionScenes, FASHION_DETECTION_ENCODER_DIR, fashionDetection, iou } from '../../src/index.js'
import { FASHION_MNIST_FIXTURE_DIR } from '../fixtures/fashion-mnist.js'

beforeAll(async () => {
  await useBackend('cpu')
})

const scenes = { size: 64, minObjects: 1, maxObjects: 4, minSide: 14, maxSide: 28, maxIou: 0.2 }
const tiny = { dir: FASHION_MNIST_FIXTURE_DIR, size: 32, minSide: 10, maxSide: 16, width: 8, heads: 1, queries: 6, batchSize: 4, valSize: 8 }

describe('fashion canvases', () => {
  it('are seeded; hold 1–4 real items with 10-class labels, boxes inside the canvas that cover the item, IoU ≤ 0.2', () => {
    const { train: items } = loadFashionMnist({ dir: FASHION_MNIST_FIXTURE_DIR })
    const a = drawFashionScenes(createRng('s'), items, 48, scenes)
    const b = drawFashionScenes(createRng('s'), items, 48, scenes)
    expect(Array.from(a.images)).toEqual(Array.from(b.images))
    expect(a.objects).toEqual(b.objects)
    const counts = a.objects.map((o) => o.length)
    expect(Math.min(...counts)).toBe(1)
    expect(Math.max(...counts)).toBe(4)
    expect(new Set(a.objects.flat().map((o) => o.label)).size).toBeGreaterThan(5)
    a.objects.forEach((objs, i) => {
      for (const o of objs) {
        expect(o.label).toBeGreaterThanOrEqual(0)
        expect(o.label).toBeLessThan(10)
        expect(o.box[0] - o.box[2] / 2).toBeGreaterThanOrEqual(0)
        expect(o.box[1] + o.box[3] / 2).toBeLessThanOrEqual(1)
        expect(o.box[2] * 64).toBeLessThanOrEqual(28)
        // ink inside the box: its pixels are not blank
        const [x0, y0] = [Math.round((o.box[0] - o.box[2] / 2) * 64), Math.round((o.box[1] - o.box[3] / 2) * 64)]
        let ink = 0
        for (let y = y0; y < y0 + Math.round(o.box[3] * 64); y++) for (let x = x0; x < x0 + Math.round(o.box[2] * 64); x++) ink += a.images[i * 4096 + y * 64 + x]!
        expect(ink).toBeGreaterThan(0)
      }
      for (let p = 0; p < objs.length; p++) for (let q = p + 1; q < objs.length; q++) expect(iou(objs[p]!.box, objs[q]!.box)).toBeLessThanOrEqual(0.2)
    })
  })
})

describe('fashion-detection task', () => {
  it('trains, evaluates AP / AP50 / matched L1 on its fixed canvases, frees everything, and is deterministic', async () => {
    const before = tf.memory().numTensors
    const run = () => train({ task: fashionDetection(tiny), maxSteps: 3, evalEvery: 3, backend: 'cpu', seed: 2 })
    const a = await run()
    const b = await run()
    expect(a.losses).toEqual(b.losses)
    expect(a.losses.every(Number.isFinite)).toBe(true)
    const last = a.history.at(-1)!.metrics
    expect(Object.keys(last).sort()).toEqual(['ap', 'ap50', 'matchedL1'])
    expect(last.ap50).toBeGreaterThanOrEqual(last.ap!)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('rejects bad options clearly', () => {
    expect(() => fashionDetection({ size: 60 })).toThrow(/size must be a multiple of 8/)
    expect(() => fashionDetection({ maxObjects: 8, queries: 6 })).toThrow(/queries/)
    expect(() => fashionDetection({ minSide: 20, maxSide: 10 })).toThrow(/maxSide/)
    expect(() => fashionDetection({ colour: true } as never)).toThrow(/colour/)
  })

  it('says where it looked when the data is missing', async () => {
    await expect(train({ task: fashionDetection({ ...tiny, dir: '/nowhere/fashion' }), maxSteps: 1, backend: 'cpu' })).rejects.toThrow(/Fashion-MNIST not found: looked in \/nowhere\/fashion/)
  })
})

describe('fashion-detection with a pretrained, frozen encoder', () => {
  const isEncoder = (name: string) => /^run\d+\/(stem|enc\d+)\//.test(name)
  /** The run's variables by local name, trainable or not (the frozen ones are in no list the loop sees). */
  const runVariables = (ctx: RunContext) => {
    const prefix = ctx.variables[0]!.name.split('/')[0]!
    return Object.values(tf.engine().registeredVariables).filter((v) => v.name.startsWith(`${prefix}/`))
  }
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'detection-encoder-'))
    await train({
      task: fashionDetection(tiny),
      maxSteps: 2,
      backend: 'cpu',
      seed: 9001,
      log: silentLogger,
      onEnd: async (_r, ctx) => {
        await exportWeights(ctx.variables.filter((v) => isEncoder(v.name)), dir)
      },
    })
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('loads the stem and encoder frozen (never trainable, unchanged by training) while the decoder, heads and queries train; no tensor leaks', async () => {
    const before = tf.memory().numTensors
    const saved = loadWeights(dir)
    const names = Object.keys(saved)
    expect(names).toContain('stem/conv3')
    expect(names).toContain('enc0/self/wq')
    expect(names.every((n) => /^(stem|enc\d+)\//.test(n))).toBe(true)
    let start: number[][] = []
    const checks: Record<string, unknown> = {}
    const probe: Trick = {
      name: 'probe',
      setup(ctx) {
        checks.trainableEncoder = ctx.variables.filter((v) => isEncoder(v.name)).map((v) => v.name)
        start = ctx.variables.map((v) => Array.from(v.dataSync()))
      },
      end(ctx) {
        const frozen = runVariables(ctx).filter((v) => isEncoder(v.name))
        checks.frozen = frozen.map((v) => [v.name.replace(/^run\d+\//, ''), v.trainable])
        checks.frozenUnchanged = frozen.every((v) => equalValues(v, saved[v.name.replace(/^run\d+\//, '')]!))
        checks.unchanged = ctx.variables.filter((v, i) => Array.from(v.dataSync()).every((x, j) => x === start[i]![j])).map((v) => v.name.replace(/^run\d+\//, ''))
        checks.trainedCount = ctx.variables.length
      },
    }
    const result = await train({ task: fashionDetection({ ...tiny, pretrainedEncoder: dir }), tricks: [probe], maxSteps: 3, evalEvery: 3, backend: 'cpu', seed: 3, log: silentLogger })
    expect(checks.trainableEncoder).toEqual([])
    expect((checks.frozen as unknown[]).length).toBe(names.length)
    expect((checks.frozen as [string, boolean][]).every(([, trainable]) => !trainable)).toBe(true)
    expect(checks.frozenUnchanged).toBe(true)
    // the decoder, heads and queries all moved, but for the first decoder layer's value projection:
    // its input (the content) starts at zero, so its gradient is zero whatever the encoder
    expect(checks.trainedCount).toBeGreaterThan(40)
    expect(checks.unchanged).toEqual(['dec0/self/wv'])
    expect(result.history.at(-1)!.metrics.ap50).toBeGreaterThanOrEqual(0)
    tf.dispose(Object.values(saved))
    expect(tf.memory().numTensors).toBe(before)
  })

  it('draws the decoder per seed and is deterministic', async () => {
    const run = (seed: number) => train({ task: fashionDetection({ ...tiny, pretrainedEncoder: dir }), maxSteps: 2, backend: 'cpu', seed, log: silentLogger })
    const [a, b, c] = [await run(4), await run(4), await run(5)]
    expect(a.losses).toEqual(b.losses)
    expect(c.losses).not.toEqual(a.losses)
  })

  it('names the folder and what is wrong: no weights there, a shape that does not fit, no tensor left behind', async () => {
    expect(() => fashionDetection({ ...tiny, pretrainedEncoder: '/nowhere/encoder' })).toThrow(/pretrainedEncoder.*weights\.json/)
    const before = tf.memory().numTensors
    await expect(train({ task: fashionDetection({ ...tiny, width: 12, pretrainedEncoder: dir }), maxSteps: 1, backend: 'cpu', log: silentLogger })).rejects.toThrow(
      /pretrainedEncoder .*detection-encoder-.*weight "stem\/conv1" has shape \[4,4\]; this model \(width 12, 1 encoder layers\) needs \[4,6\]/,
    )
    await expect(train({ task: fashionDetection({ ...tiny, encoderLayers: 2, pretrainedEncoder: dir }), maxSteps: 1, backend: 'cpu', log: silentLogger })).rejects.toThrow(/lacks weight "enc1\/self\/wq"/)
    expect(tf.memory().numTensors).toBe(before)
  })
})

function equalValues(a: tf.Tensor, b: tf.Tensor): boolean {
  const [x, y] = [a.dataSync(), b.dataSync()]
  return x.length === y.length && x.every((v, i) => v === y[i])
}

describe('the committed pretrained encoder', () => {
  it('fits the default shape (width 32, 1 encoder layer, 64×64) and trains frozen under it', async () => {
    const before = tf.memory().numTensors
    const r = await train({
      task: fashionDetection({ dir: FASHION_MNIST_FIXTURE_DIR, pretrainedEncoder: FASHION_DETECTION_ENCODER_DIR, batchSize: 2, valSize: 4 }),
      maxSteps: 1,
      backend: 'cpu',
      log: silentLogger,
    })
    expect(r.losses.every(Number.isFinite)).toBe(true)
    expect(tf.memory().numTensors).toBe(before)
  })
})
