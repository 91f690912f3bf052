import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createRng, train, useBackend } from '@converge/core'
import { loadFashionMnist } from '../../src/data/index.js'
import { drawFashionScenes, fashionDetection, iou } from '../../src/index.js'
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
