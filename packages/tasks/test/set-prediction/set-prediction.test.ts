import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createRng, SeedStreams, silentLogger, train, useBackend } from '@converge/core'
import { drawScenes, generalizedIou, iou, setLoss, setPrediction, type SetPredictionBatch } from '../../src/index.js'

beforeAll(async () => {
  await useBackend('cpu')
})

const tiny = { width: 8, heads: 1, queries: 6, batchSize: 4, valSize: 8 }

describe('procedural scenes', () => {
  it('are seeded, hold 1–6 objects of 3 classes with pairwise IoU ≤ 0.3 and boxes inside the image', () => {
    const a = drawScenes(createRng('s'), 64)
    const b = drawScenes(createRng('s'), 64)
    expect(Array.from(a.images)).toEqual(Array.from(b.images))
    expect(a.objects).toEqual(b.objects)
    const counts = new Set(a.objects.map((o) => o.length))
    expect(Math.min(...counts)).toBe(1)
    expect(Math.max(...counts)).toBe(6)
    for (const objs of a.objects) {
      for (const o of objs) {
        expect([0, 1, 2]).toContain(o.label)
        expect(o.box[0] - o.box[2] / 2).toBeGreaterThanOrEqual(0)
        expect(o.box[0] + o.box[2] / 2).toBeLessThanOrEqual(1)
        expect(o.box[2] * 32).toBeGreaterThanOrEqual(4)
        expect(o.box[2] * 32).toBeLessThanOrEqual(12)
      }
      for (let i = 0; i < objs.length; i++) for (let j = i + 1; j < objs.length; j++) expect(iou(objs[i]!.box, objs[j]!.box)).toBeLessThanOrEqual(0.3)
    }
  })
})

describe('generalized IoU', () => {
  it('is 1 for identical boxes, IoU for nested ones, negative for distant ones', () => {
    const g = tf.tidy(() => Array.from(generalizedIou(tf.tensor2d([[0.5, 0.5, 0.2, 0.2], [0.5, 0.5, 0.2, 0.2], [0.1, 0.1, 0.1, 0.1]]), tf.tensor2d([[0.5, 0.5, 0.2, 0.2], [0.5, 0.5, 0.4, 0.4], [0.9, 0.9, 0.1, 0.1]])).dataSync()))
    expect(g[0]).toBeCloseTo(1, 5)
    expect(g[1]).toBeCloseTo(0.25, 5)
    expect(g[2]).toBeCloseTo(-(0.81 - 0.02) / 0.81, 5)
  })
})

describe('set loss', () => {
  it('is zero for L1 and GIoU on exact matched boxes, counts only matched queries, and rejects a query matched twice', () => {
    const objects = [[{ label: 1, box: [0.3, 0.3, 0.2, 0.2] as const }]]
    const parts = tf.tidy(() => {
      const boxes = tf.tensor3d([[[0.3, 0.3, 0.2, 0.2], [0.9, 0.9, 0.1, 0.1]]])
      const logits = tf.tensor3d([[[-9, 9, -9], [-9, -9, -9]]])
      const p = setLoss({ logits, boxes }, objects, [[{ query: 0, target: 0 }]], 1, 3)
      return Object.values(p).map((v) => (v as tf.Scalar).dataSync()[0]!)
    })
    expect(parts[0]).toBeLessThan(1e-3) // confident and right everywhere
    expect(parts[1]).toBeCloseTo(0, 6)
    expect(parts[2]).toBeCloseTo(0, 4) // 1e-7 epsilons in float32
    expect(() =>
      tf.tidy(() => void setLoss({ logits: tf.zeros([1, 2, 3]), boxes: tf.fill([1, 2, 4], 0.5) }, [[...objects[0]!, ...objects[0]!]], [[{ query: 0, target: 0 }, { query: 0, target: 1 }]], 1, 3)),
    ).toThrow(/matched twice/)
  })
})

describe('set-prediction task', () => {
  it('rejects bad options', () => {
    expect(() => setPrediction({ width: 10 })).toThrow(/width/)
    expect(() => setPrediction({ queries: 3 })).toThrow(/queries/)
  })

  it('trains without leaking tensors; loss terms per decoder layer; metrics in range', async () => {
    const counts: number[] = []
    const r = await train({
      task: setPrediction(tiny),
      maxSteps: 6,
      evalEvery: 6,
      backend: 'cpu',
      seed: 3,
      log: silentLogger,
      tricks: [{ name: 'count', afterStep: () => void counts.push(tf.memory().numTensors) }],
    })
    expect(new Set(counts.slice(1)).size).toBe(1)
    expect(Object.keys(r.lossTerms).sort()).toEqual(['class/0', 'class/1', 'class/2', 'giou/0', 'giou/1', 'giou/2', 'l1/0', 'l1/1', 'l1/2'])
    for (const v of r.losses) expect(Number.isFinite(v)).toBe(true)
    const m = r.history.at(-1)!.metrics
    for (const k of ['ap50', 'ap']) expect(m[k]).toBeGreaterThanOrEqual(0), expect(m[k]).toBeLessThanOrEqual(1)
    expect(m.ap50).toBeGreaterThanOrEqual(m.ap!)
    expect(m.matchedL1).toBeGreaterThan(0)
  })

  it('querySets: forward with any number of queries, a self-attention wrapper is used, costs are [n, N_i]', async () => {
    const inst = await setPrediction(tiny).create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `qs/${n}` })
    const qs = inst.capabilities!.querySets!
    const batch = (await inst.batch({ step: 0, sources: ['train'], rng: createRng('b'), stream: 'main' })) as SetPredictionBatch
    let calls = 0
    tf.tidy(() => {
      const queries = tf.concat([qs.embedding, qs.initQueries(4)]) as tf.Tensor2D
      const out = qs.forward(batch, queries, { selfAttention: (attend, ...xs) => (calls++, attend(...xs)) }) as { layers: { logits: tf.Tensor3D; boxes: tf.Tensor3D }[] }
      expect(out.layers).toHaveLength(qs.layers)
      expect(out.layers[0]!.logits.shape).toEqual([4, 12, 3])
      expect(out.layers[0]!.boxes.shape).toEqual([4, 12, 4])
      const costs = qs.costs(out, 1, batch)
      expect(costs.map((c) => c.shape)).toEqual(qs.objectCounts(batch).map((n) => [12, n]))
    })
    expect(calls).toBe(qs.layers)
    expect(Object.keys(await qs.evaluateWith())).toEqual(['ap50', 'ap', 'matchedL1'])
    batch.images.dispose()
    inst.dispose()
  })
})
