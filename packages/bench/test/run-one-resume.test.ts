import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { listCheckpoints, type Trick } from '@converge/core'
import { defineSuite } from '../src/index.js'
import { afterEach, describe, expect, it } from 'vitest'
import { armConfigHash, findArm, runOne, type RunJob } from '../src/run-one.js'
import { tinySuite } from './fixtures/tiny-suite.js'

const work = mkdtempSync(join(tmpdir(), 'converge-bench-resume-'))
afterEach(() => rmSync(work, { recursive: true, force: true }))

const settings = { size: 'quick' as const, maxSteps: 40, evalEvery: 10, backend: 'cpu' as const, tunedWasm: true }
/** The tiny suite plus an arm whose loss turns NaN at step 25. */
const suite = defineSuite({
  ...tinySuite,
  arms: [
    ...tinySuite.arms,
    { name: 'nan-at-25', tricks: (): Trick[] => [{ name: 'nan-at-25', loss: (ctx, parts) => (ctx.step === 24 ? { ...parts, boom: tf.scalar(Number.NaN) } : parts) }] },
  ],
})

const job = (arm: string, checkpoint?: RunJob['checkpoint']): RunJob => ({
  kind: 'run',
  hp: {},
  sourceHash: 'test',
  suite: suite.name,
  arm,
  seed: 2,
  ...settings,
  configHash: armConfigHash(suite, findArm(suite, arm), {}, settings),
  ...(checkpoint ? { checkpoint } : {}),
})

describe('runOne with a checkpoint directory', () => {
  it('an interrupted run continues from its checkpoint to the record an uninterrupted run gives, and cleans up', async () => {
    const dir = join(work, 'adam-seed2')
    const reference = await runOne(suite, job('adam'))
    await expect(
      runOne(suite, job('adam', { dir, everySteps: 10 }), (step) => {
        if (step === 27) throw new Error('worker killed')
      }),
    ).rejects.toThrow('worker killed')
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([20, 10])
    let firstStep = 0
    const resumed = await runOne(suite, job('adam', { dir, everySteps: 10 }), (step) => void (firstStep ||= step))
    expect(firstStep).toBe(21) // continued, not started over
    expect(resumed.result.history).toEqual(reference.result.history.map((h, i) => ({ ...h, trainMs: resumed.result.history[i]!.trainMs })))
    expect(resumed.result.steps).toBe(reference.result.steps)
    expect(resumed.result.taskStepsToTarget).toBe(reference.result.taskStepsToTarget)
    expect(existsSync(dir)).toBe(false)
  })

  it('a resumed run that then diverges records the evaluations from before the checkpoint too', async () => {
    const dir = join(work, 'nan-seed2')
    const reference = await runOne(suite, job('nan-at-25'))
    expect(reference.result.diverged?.step).toBe(25)
    await expect(runOne(suite, job('nan-at-25', { dir, everySteps: 10 }), (step) => {
      if (step === 17) throw new Error('worker killed')
    })).rejects.toThrow('worker killed')
    const resumed = await runOne(suite, job('nan-at-25', { dir, everySteps: 10 }))
    expect(resumed.result.diverged).toEqual(reference.result.diverged)
    expect(resumed.result.history.map((h) => [h.step, h.metrics])).toEqual(reference.result.history.map((h) => [h.step, h.metrics]))
    expect(resumed.result.history.map((h) => h.step)).toEqual([0, 10, 20])
    expect(existsSync(dir)).toBe(false)
  })
})
