import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { silentLogger, train, useBackend } from '@converge/core'
import { fashionDiffusion, loadFashionTeacher } from '@converge/tasks'
import { FASHION_MNIST_FIXTURE_DIR } from '../../../tasks/test/fixtures/fashion-mnist.js'
import { erw, repa } from '../src/index.js'

beforeAll(async () => {
  await useBackend('cpu')
})

/** The real denoiser grid (16×16, patch 4 → 16 tokens: the shipped teacher's grid), tiny widths, fixture data. */
const task = () =>
  fashionDiffusion({ dir: FASHION_MNIST_FIXTURE_DIR, width: 8, depth: 3, heads: 1, batchSize: 4, valSize: 20, sampleCount: 20, sampleSteps: 2, probeLayer: 1 })

describe('ERW and REPA on fashion-diffusion with the shipped spatial teacher', () => {
  it('ERW: a warm-up phase then main steps with the alignment term, leaking nothing', async () => {
    const before = tf.memory().numTensors
    const trick = erw({ teacher: () => loadFashionTeacher(), warmupSteps: 2, warmupDepth: 1, alignDepth: 2, halfLife: 2 })
    const result = await train({ task: task(), tricks: [trick], maxSteps: 5, evalEvery: 5, backend: 'cpu', seed: 1, log: silentLogger })
    expect(result.phases.filter((p) => p.name === 'erw-warmup').map((p) => p.endStep - p.startStep)).toEqual([2])
    expect(result.lossTerms['align/raw']?.length).toBeGreaterThan(0)
    expect(result.losses.every(Number.isFinite)).toBe(true)
    expect(result.history.at(-1)!.metrics.fd).toBeGreaterThan(0)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('REPA: the alignment term is reported each step', async () => {
    const before = tf.memory().numTensors
    const result = await train({ task: task(), tricks: [repa({ teacher: () => loadFashionTeacher(), alignDepth: 2 })], maxSteps: 2, backend: 'cpu', seed: 1, log: silentLogger })
    expect(result.lossTerms['align/raw']).toHaveLength(2)
    expect(tf.memory().numTensors).toBe(before)
  })
})
