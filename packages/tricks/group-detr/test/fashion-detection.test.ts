import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { silentLogger, train, useBackend } from '@converge/core'
import { fashionDetection } from '@converge/tasks'
import { FASHION_MNIST_FIXTURE_DIR } from '../../../tasks/test/fixtures/fashion-mnist.js'
import { groupDetr } from '../src/index.js'

beforeAll(async () => {
  await useBackend('cpu')
})

describe('groupDetr on fashion-detection (real Fashion-MNIST items, fixture data)', () => {
  it('runs a few steps with K = 3 groups, evaluates with group 0 and leaks nothing', async () => {
    const task = fashionDetection({ dir: FASHION_MNIST_FIXTURE_DIR, size: 32, minSide: 10, maxSide: 16, width: 8, heads: 1, queries: 6, batchSize: 4, valSize: 8 })
    const before = tf.memory().numTensors
    const trick = groupDetr({ groups: 3 })
    const result = await train({ task, tricks: [trick], maxSteps: 3, evalEvery: 3, backend: 'cpu', seed: 1, log: silentLogger })
    expect(result.losses).toHaveLength(3)
    expect(result.losses.every(Number.isFinite)).toBe(true)
    expect(Object.keys(result.history.at(-1)!.metrics)).toContain('ap50')
    expect(tf.memory().numTensors).toBe(before)
  })
})
