import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createRng, useBackend } from '@converge/core'
import { loadFashionMnist } from '../../src/data/index.js'
import {
  loadFashionTeacher,
  loadShapeTeacher,
  measureTeacherGate,
  probeTokens,
  randomFashionTeacher,
  shapeSet,
  spatialTeacherForward,
  SPATIAL_TEACHER_CONFIG,
  initSpatialTeacher,
  conv3x3,
  conv2x2Stride2,
  unitScaleImages,
} from '../../src/index.js'
import { FASHION_MNIST_FIXTURE_DIR } from '../fixtures/fashion-mnist.js'

beforeAll(async () => {
  await useBackend('cpu')
})

describe('token probe', () => {
  const rng = createRng('probe')
  const n = 60
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3)
  const classVec = Array.from({ length: 3 }, () => Array.from({ length: 8 }, () => rng.normal()))
  const posVec = Array.from({ length: 16 }, () => Array.from({ length: 8 }, () => rng.normal()))
  const build = (f: (i: number, t: number, j: number) => number) => Float64Array.from({ length: n * 16 * 8 }, (_, k) => f(Math.floor(k / 128), Math.floor(k / 8) % 16, k % 8))

  it('class + position tokens: R² = 1; per-image constant tokens: global share = 1; noise: both small', () => {
    const lookup = probeTokens(build((i, t, j) => classVec[labels[i]!]![j]! + posVec[t]![j]!), labels, n, 8, 3)
    expect(lookup.classPositionR2).toBeCloseTo(1, 9)
    const perImage = Array.from({ length: n }, () => Array.from({ length: 8 }, () => rng.normal()))
    const constant = probeTokens(build((i, _t, j) => perImage[i]![j]!), labels, n, 8, 3)
    expect(constant.globalShare).toBeCloseTo(1, 9)
    expect(constant.near).toBeCloseTo(1, 9)
    expect(constant.nearMinusFar).toBeCloseTo(0, 9)
    const noise = probeTokens(build(() => rng.normal()), labels, n, 8, 3)
    expect(noise.classPositionR2).toBeLessThan(0.15)
    expect(noise.globalShare).toBeLessThan(0.4)
    expect(() => probeTokens(new Float64Array(10), labels, n, 8, 3)).toThrow(/square grid/)
  })

  it('agrees with the reference numpy probe on the shapes teacher (class + position 76%, per-image mean 90%)', async () => {
    const teacher = await loadShapeTeacher()
    const set = shapeSet(createRng('probe-shapes'), 600)
    const images = tf.tensor4d(set.images, [600, 16, 16, 1])
    const gate = measureTeacherGate(teacher, images, set.labels, 6)
    images.dispose()
    teacher.dispose()
    expect(gate.probe.classPositionR2).toBeGreaterThan(0.73)
    expect(gate.probe.classPositionR2).toBeLessThan(0.8)
    expect(gate.probe.globalShare).toBeGreaterThan(0.88)
    expect(gate.probe.globalShare).toBeLessThan(0.93)
    expect(gate.passed).toBe(false)
    expect(gate.reasons.join(' ')).toMatch(/class \+ position explain 7\d\.\d% .* per-image mean token explains 9\d\.\d%/)
  })
})

describe('the shipped Fashion-MNIST spatial teacher', () => {
  it('passes the gate on real Fashion-MNIST (the fixture): tokens carry more than class and position, and differ across an image', async () => {
    const data = loadFashionMnist({ dir: FASHION_MNIST_FIXTURE_DIR })
    const sets = [unitScaleImages(data.train, 16), unitScaleImages(data.test, 16)]
    const images = tf.tensor4d(Float32Array.from(sets.flatMap((s) => Array.from(s.images))), [300, 16, 16, 1])
    const labels = Int32Array.from(sets.flatMap((s) => Array.from(s.labels)))
    const before = tf.memory().numTensors
    const teacher = await loadFashionTeacher()
    expect(teacher.tokens).toEqual({ tokens: 16, width: 64 })
    const gate = measureTeacherGate(teacher, images, labels, 10)
    teacher.dispose()
    expect(tf.memory().numTensors).toBe(before)
    images.dispose()
    expect(gate.reasons).toEqual([])
    expect(gate.passed).toBe(true)
    expect(gate.probe.classPositionR2).toBeLessThan(0.3)
    expect(gate.probe.globalShare).toBeLessThan(0.5)
    expect(gate.probe.nearMinusFar).toBeGreaterThan(0.1) // spatial structure: neighbours more alike than far tokens
  })

  it('im2col convolutions equal tf.conv2d', () => {
    const rng = createRng('conv')
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 8 * 8 * 3 }, () => rng.normal()), [2, 8, 8, 3])
    const w3 = tf.tensor4d(Float32Array.from({ length: 9 * 3 * 5 }, () => rng.normal()), [3, 3, 3, 5])
    const w2 = tf.tensor4d(Float32Array.from({ length: 4 * 3 * 5 }, () => rng.normal()), [2, 2, 3, 5])
    const zero = tf.zeros([5]) as tf.Tensor1D
    const close = (a: tf.Tensor, b: tf.Tensor) => Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(b.dataSync()[i]!, 4))
    tf.tidy(() => close(conv3x3(x, tf.reshape(w3, [27, 5]) as tf.Tensor2D, zero), tf.conv2d(x, w3, 1, 'same')))
    tf.tidy(() => close(conv2x2Stride2(x, tf.reshape(w2, [12, 5]) as tf.Tensor2D, zero), tf.conv2d(x, w2, 2, 'valid')))
    tf.dispose([x, w3, w2, zero])
  })

  it('forward shapes, and the random control has the same token layout', () => {
    const w = initSpatialTeacher(SPATIAL_TEACHER_CONFIG, 3)
    const out = tf.tidy(() => {
      const r = spatialTeacherForward(w, SPATIAL_TEACHER_CONFIG, tf.zeros([2, 16, 16, 1]))
      return [r.map.shape, r.tokens.shape, r.logits.shape]
    })
    expect(out).toEqual([
      [2, 4, 4, 64],
      [2, 16, 64],
      [2, 10],
    ])
    tf.dispose(Object.values(w))
    const control = randomFashionTeacher(2)
    expect(control.tokens).toEqual({ tokens: 16, width: 64 })
    control.dispose()
  })
})
