import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CheckpointError, listCheckpoints, train, type TrainOptions } from '../src/index.js'
import { resultFingerprint } from '../src/testing/resume.js'
import { smallTask } from './helpers.js'

let dir: string
beforeEach(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-ckpt-'))))
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const options = (extra: Partial<TrainOptions> = {}): TrainOptions => ({
  task: smallTask({ trainSize: 64, evalSize: 64 }),
  seed: 2,
  maxSteps: 20,
  evalEvery: 5,
  backend: 'cpu',
  checkpoint: { dir, everySteps: 4, keep: 3 },
  ...extra,
})

/** Runs until `step`, then throws out of the run (the checkpoints written so far stay). */
async function interrupted(step: number, extra: Partial<TrainOptions> = {}): Promise<void> {
  await expect(
    train(options({ ...extra, onStep: (r) => { if (r.step === step) throw new Error('interrupted') } })),
  ).rejects.toThrow('interrupted')
}

const newest = () => listCheckpoints(dir)[0]!.path

describe('checkpoint files', () => {
  it('keeps the newest N complete checkpoints, plus a final one at the end', async () => {
    await train(options())
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([20, 16, 12])
    expect(fs.readdirSync(newest()).sort()).toEqual(['SHA256SUMS', 'manifest.json', 'tensors.bin'])
  })

  it('a finished run resumes straight to the same result, and frees everything', async () => {
    const first = await train(options())
    const before = tf.memory().numTensors
    const again = await train(options({ resume: true }))
    expect(again.resumedFrom?.step).toBe(20)
    expect(resultFingerprint(again)).toBe(resultFingerprint(first))
    expect(tf.memory().numTensors).toBe(before)
  })

  it('refuses a directory that holds checkpoints unless asked to resume', async () => {
    await interrupted(9)
    await expect(train(options())).rejects.toThrow(/already holds checkpoints \(newest: step 8\); pass resume: true/)
  })

  it('resume with an empty directory starts at step 0', async () => {
    const r = await train(options({ resume: true }))
    expect(r.resumedFrom).toBeUndefined()
    expect(r.steps).toBe(20)
  })

  it('resume needs a checkpoint directory', async () => {
    await expect(train({ ...options(), checkpoint: undefined, resume: true })).rejects.toThrow(/resume: true needs checkpoint/)
  })

  it('falls back past a truncated checkpoint to the previous complete one, and says so', async () => {
    const reference = await train(options({ checkpoint: undefined }))
    await interrupted(9) // checkpoints at 4 and 8
    const data = path.join(newest(), 'tensors.bin')
    fs.truncateSync(data, fs.statSync(data).size - 3)
    const r = await train(options({ resume: true }))
    expect(r.resumedFrom?.step).toBe(4)
    expect(r.resumedFrom?.skipped[0]).toMatch(/ckpt-000000008 is corrupt: tensors.bin does not match its SHA-256 sum/)
    expect(resultFingerprint(r)).toBe(resultFingerprint(reference))
  })

  it('skips a checkpoint with a damaged manifest or a missing file', async () => {
    await interrupted(13) // 4, 8, 12
    const m = path.join(newest(), 'manifest.json')
    const text = fs.readFileSync(m, 'utf8')
    fs.writeFileSync(m, text.replace('"step":12', '"step":11'))
    fs.rmSync(path.join(listCheckpoints(dir)[1]!.path, 'SHA256SUMS'))
    const r = await train(options({ resume: true }))
    expect(r.resumedFrom?.step).toBe(4)
    expect(r.resumedFrom?.skipped).toHaveLength(2)
    expect(r.resumedFrom?.skipped[0]).toMatch(/manifest.json does not match its SHA-256 sum/)
    expect(r.resumedFrom?.skipped[1]).toMatch(/is incomplete: cannot read SHA256SUMS/)
  })

  it('ignores a temporary left by a writer killed mid-write', async () => {
    await interrupted(9)
    fs.mkdirSync(path.join(dir, '.tmp-ckpt-000000012-999-1'))
    const r = await train(options({ resume: true }))
    expect(r.resumedFrom?.step).toBe(8)
    expect(fs.readdirSync(dir).some((n) => n.startsWith('.tmp-'))).toBe(false)
  })

  it('all checkpoints damaged is an error, not a fresh start', async () => {
    await interrupted(5) // one checkpoint, at 4
    fs.writeFileSync(path.join(newest(), 'tensors.bin'), 'garbage')
    await expect(train(options({ resume: true }))).rejects.toThrow(/no usable checkpoint in .*: checkpoint .* is corrupt/)
  })

  it('refuses a checkpoint written under other settings, naming what differs', async () => {
    await interrupted(9)
    const err = await train(options({ resume: true, seed: 3 })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CheckpointError)
    expect((err as Error).message).toMatch(/other settings \(seed: 2 → 3\)/)
    await expect(train(options({ resume: true, optimizer: { name: 'sgd', learningRate: 0.1 } }))).rejects.toThrow(/optimizer: .*adam.* → .*sgd/)
  })

  it('names the changed task option itself, however long the options are', async () => {
    await interrupted(9)
    const err = await train(options({ resume: true, task: smallTask({ trainSize: 128, evalSize: 64 }) })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CheckpointError)
    expect((err as Error).message).toMatch(/other settings \(task\.options\.trainSize: 64 → 128\)/)
  })

  it('refuses another format version', async () => {
    await interrupted(5)
    const m = path.join(newest(), 'manifest.json')
    const text = fs.readFileSync(m, 'utf8').replace('"version":1', '"version":99')
    fs.writeFileSync(m, text)
    const sums = path.join(newest(), 'SHA256SUMS')
    const { createHash } = await import('node:crypto')
    const lines = fs.readFileSync(sums, 'utf8').split('\n')
    lines[0] = `${createHash('sha256').update(text).digest('hex')}  manifest.json`
    fs.writeFileSync(sums, lines.join('\n'))
    await expect(train(options({ resume: true }))).rejects.toThrow(/has format version 99; this converge reads version 1 only/)
  })

  it('a trick whose state cannot be stored is a clear error at the first checkpoint', async () => {
    const trick = { name: 'mappy', state: () => ({ seen: new Map() }), loadState: () => {} }
    await expect(train(options({ tricks: [trick] }))).rejects.toThrow(/trick "mappy"'s state.seen is a Map; state may hold only JSON values, typed arrays and tensors/)
  })
})

describe('loading trained weights', () => {
  it('puts the final weights into a fresh task instance, which then evaluates as the run ended', async () => {
    const { loadCheckpointWeights, SeedStreams, silentLogger } = await import('../src/index.js')
    const result = await train(options())
    const task = smallTask({ trainSize: 64, evalSize: 64 })
    const instance = await task.create({ seed: 99, streams: new SeedStreams(99), log: silentLogger, variableName: (n) => `inference/${n}` })
    try {
      expect(loadCheckpointWeights(dir, instance.variables)).toEqual({ step: 20, path: newest() })
      expect(await instance.evaluate()).toEqual(result.history.at(-1)!.metrics)
    } finally {
      instance.dispose()
    }
  })
})

describe('the contract kit checks resume through a real checkpoint', () => {
  const counting = (withState: boolean) => {
    let steps = 0
    return {
      name: 'counting-decay',
      learningRate: (_ctx: unknown, lr: number) => lr / (1 + 0.2 * steps),
      afterStep: () => void steps++,
      ...(withState ? { state: () => ({ steps }), loadState: (s: Record<string, unknown>) => void (steps = s.steps as number) } : {}),
    }
  }

  it('passes a trick whose state() holds what changes training', async () => {
    const { checkCheckpointResume } = await import('../src/testing/index.js')
    await expect(checkCheckpointResume({ makeTrick: () => counting(true), backend: 'cpu' })).resolves.toEqual({ resumedFrom: 8, steps: 12 })
  })

  it('fails a trick that keeps training-relevant state outside state()', async () => {
    const { checkCheckpointResume } = await import('../src/testing/index.js')
    await expect(checkCheckpointResume({ makeTrick: () => counting(false), backend: 'cpu' })).rejects.toThrow(
      /trick contract "checkpoint resume" failed for "counting-decay": resumed from step 8, the loss differs at step 10: .* uninterrupted; state\(\) misses something/,
    )
  })
})
