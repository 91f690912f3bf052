import { mkdtempSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createRng, train, useBackend } from '@converge/core'
import {
  frechetDistance,
  gaussianStats,
  linearProbeAccuracy,
  loadShapeEvaluator,
  loadShapeTeacher,
  patchify,
  randomShapes,
  SHAPE_EVALUATOR_DIR,
  SHAPE_TEACHER_DIR,
  shapesDiffusion,
  shapeSet,
  unpatchify,
} from '../src/index.js'

beforeAll(async () => {
  await useBackend('cpu')
})

const tiny = { width: 8, depth: 2, heads: 1, batchSize: 4, valSize: 12, sampleCount: 12, sampleSteps: 2, probeLayer: 1 }

describe('shapes generator', () => {
  it('is seeded, in [−1, 1], and balanced for the validation set', () => {
    const a = randomShapes(createRng('s'), 8)
    const b = randomShapes(createRng('s'), 8)
    expect(Array.from(a.images)).toEqual(Array.from(b.images))
    expect(Math.min(...a.images)).toBeGreaterThanOrEqual(-1)
    expect(Math.max(...a.images)).toBeLessThanOrEqual(1)
    const val = shapeSet(createRng('v'), 12)
    expect(Array.from(val.labels).sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
  })
})

describe('patches', () => {
  it('unpatchify inverts patchify, and a patch holds a contiguous 4×4 block', () => {
    const img = tf.tensor4d(Float32Array.from({ length: 2 * 256 }, (_, i) => i), [2, 16, 16, 1])
    const tokens = patchify(img, 4)
    expect(tokens.shape).toEqual([2, 16, 16])
    expect(Array.from(tokens.dataSync().slice(0, 8))).toEqual([0, 1, 2, 3, 16, 17, 18, 19])
    expect(Array.from(unpatchify(tokens, 4, 16).dataSync())).toEqual(Array.from(img.dataSync()))
    tf.dispose([img, tokens])
  })
})

describe('Fréchet distance and probe', () => {
  it('is 0 for identical statistics, grows with a mean shift, matches the closed form for diagonal covariances', () => {
    const rng = createRng('f')
    const x = Float64Array.from({ length: 200 * 3 }, () => rng.normal())
    const s = gaussianStats(x, 200, 3)
    expect(frechetDistance(s, s)).toBeCloseTo(0, 6)
    const a = { mean: new Float64Array([0, 0]), cov: new Float64Array([1, 0, 0, 4]) }
    const b = { mean: new Float64Array([3, 0]), cov: new Float64Array([4, 0, 0, 1]) }
    // 9 + (1 + 4 − 2·2) + (4 + 1 − 2·2)
    expect(frechetDistance(a, b)).toBeCloseTo(11, 6)
  })

  it('probe separates linearly separable classes and is at chance on noise', () => {
    const rng = createRng('p')
    const n = 200
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2)
    const separable = Float64Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? (labels[k >> 1]! ? 2 : -2) : 0) + 0.3 * rng.normal())
    expect(linearProbeAccuracy(separable, labels, 2, 2, 100)).toBe(1)
    const noise = Float64Array.from({ length: n * 2 }, () => rng.normal())
    expect(linearProbeAccuracy(noise, labels, 2, 2, 100)).toBeLessThan(0.7)
  })
})

describe('committed teacher and evaluator', () => {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shape-nets-'))
  })
  afterAll(() => undefined)

  it('load through tfjs IO and classify real shapes well', async () => {
    const before = tf.memory().numTensors
    const teacher = await loadShapeTeacher()
    const evaluator = await loadShapeEvaluator()
    const held = shapeSet(createRng('held'), 60)
    const images = tf.tensor4d(held.images, [60, 16, 16, 1])
    const tokens = teacher.encode(images)
    expect(tokens.shape).toEqual([60, 16, 32])
    const { features, logits } = evaluator.run(images)
    expect(features.shape).toEqual([60, 32])
    const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync())
    const acc = Array.from(predicted).filter((p, i) => p === held.labels[i]).length / 60
    expect(acc).toBeGreaterThan(0.9)
    tf.dispose([images, tokens, features, logits])
    teacher.dispose()
    evaluator.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('a missing file is a clear error', async () => {
    await expect(loadShapeTeacher(join(dir, 'nowhere'))).rejects.toThrow(/cannot read model file .*model\.json/)
    const partial = join(dir, 'no-weights')
    mkdirSync(partial)
    copyFileSync(join(SHAPE_EVALUATOR_DIR, 'model.json'), join(partial, 'model.json'))
    await expect(loadShapeEvaluator(partial)).rejects.toThrow(/cannot read weights file .*weights\.bin/)
  })

  it('a corrupt file is a clear error', async () => {
    const truncated = join(dir, 'truncated')
    mkdirSync(truncated)
    copyFileSync(join(SHAPE_TEACHER_DIR, 'model.json'), join(truncated, 'model.json'))
    writeFileSync(join(truncated, 'weights.bin'), new Uint8Array(100))
    await expect(loadShapeTeacher(truncated)).rejects.toThrow(/weights file .* is corrupt: 100 bytes/)
    const badJson = join(dir, 'bad-json')
    mkdirSync(badJson)
    writeFileSync(join(badJson, 'model.json'), '{ not json')
    await expect(loadShapeEvaluator(badJson)).rejects.toThrow(/is not valid JSON/)
  })
})

describe('shapes-diffusion task', () => {
  it('trains with v-loss, evaluates all metrics, frees everything, and is deterministic', async () => {
    const before = tf.memory().numTensors
    const run = () => train({ task: shapesDiffusion(tiny), maxSteps: 6, evalEvery: 3, backend: 'cpu', seed: 2 })
    const a = await run()
    const b = await run()
    expect(a.losses).toEqual(b.losses)
    const last = a.history.at(-1)!.metrics
    expect(Object.keys(last).sort()).toEqual(['fd', 'probeAcc', 'sampleAcc', 'vloss'])
    expect(last.fd).toBeGreaterThan(0)
    // the untrained model predicts v = 0 (zero-init final layer): v-loss = E‖ε − x₀‖² ≈ 1 + E[x₀²]
    expect(a.history[0]!.metrics.vloss).toBeGreaterThan(1.5)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('rejects bad options clearly', () => {
    expect(() => shapesDiffusion({ patch: 3 })).toThrow(/patch must divide/)
    expect(() => shapesDiffusion({ depth: 2, probeLayer: 3 })).toThrow(/probeLayer/)
  })
})
