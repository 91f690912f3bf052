import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { train, type Trick } from '@converge/core'
import { loadShapeTeacher, shapesDiffusion } from '@converge/tasks'
import { ERW_SCHEDULE, ERW_TASK_OPTIONS } from '../src/bench-suite.js'
import { erw } from '../src/index.js'
import { teacher, tinyTask } from './helpers.js'

/**
 * The first 10 losses of the suite's full-size model (baseline and ERW arms, seed 3, WASM), as the
 * code gave them before the step-time changes (class embedding by one-hot product, teacher tokens
 * outside the tape, norm without Pow; in core, the WASM Adam loop and tiled transposes). Those
 * changes alter at most the rounding of a few sums.
 */
const PINNED = {
  baseline: [1.922834038734436, 1.8109534978866577, 1.7899819612503052, 1.670203685760498, 1.710730791091919, 1.6668014526367188, 1.5772559642791748, 1.5270944833755493, 1.4477038383483887, 1.4450252056121826],
  erw: [0.02688630484044552, -0.046729907393455505, 1.784028172492981, 1.6063148975372314, 1.5968310832977295, 1.5148792266845703, 1.5871264934539795, 1.5765419006347656, 1.5115225315093994, 1.4839394092559814],
}

const erwTrick = () =>
  erw({ teacher: () => loadShapeTeacher(), warmupSteps: { fraction: ERW_SCHEDULE.warmupFraction }, warmupDepth: ERW_SCHEDULE.warmupDepth, alignDepth: ERW_SCHEDULE.alignDepth, c0: ERW_SCHEDULE.c0, halfLife: { fraction: ERW_SCHEDULE.halfLifeFraction } })

const expectClose = (actual: readonly number[], pinned: readonly number[]) => {
  expect(actual).toHaveLength(pinned.length)
  actual.forEach((x, i) => expect(Math.abs(x - pinned[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(pinned[i]!))))
}

describe('full-size losses on WASM', () => {
  it('match the pinned first 10 steps of the baseline and ERW arms, with no tensor left behind', async () => {
    const task = shapesDiffusion({ ...ERW_TASK_OPTIONS.full, valSize: 12, sampleCount: 12, sampleSteps: 2 })
    const run = (tricks: Trick[]) => train({ task, seed: 3, maxSteps: 10, evalEvery: 10, backend: 'wasm', tricks })
    await run([]) // starts the backend, so the count below starts from a settled engine
    const before = tf.memory().numTensors
    const baseline = await run([])
    const withErw = await run([erwTrick()])
    expect(tf.memory().numTensors).toBe(before)
    expectClose(baseline.losses, PINNED.baseline)
    expectClose(withErw.losses, PINNED.erw)
    expect(withErw.phases.map((p) => p.name)).toEqual(['erw-warmup', 'main'])
  }, 60_000)
})

describe('teacher tokens', () => {
  it('are computed once per step, outside the gradient tape', async () => {
    const tapeActive = () => (tf.engine() as unknown as { state: { activeTape: unknown[] | null } }).state.activeTape !== null
    const calls: boolean[] = []
    const counting = () => {
      const t = teacher()
      return { ...t, encode: (x: tf.Tensor) => (calls.push(tapeActive()), t.encode(x)) }
    }
    await train({ task: tinyTask(), tricks: [erw({ teacher: counting, warmupSteps: 2, warmupDepth: 1, alignDepth: 2, halfLife: 4 })], maxSteps: 5, evalEvery: 100, backend: 'cpu', seed: 3 })
    expect(calls).toEqual([false, false, false, false, false])
  })
})
