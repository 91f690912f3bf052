import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { train, type TrainOptions, type Trick } from '../src/index.js'
import { smallTask } from './helpers.js'

let dir: string
beforeEach(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-metrics-'))))
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const options = (extra: Partial<TrainOptions> = {}): TrainOptions => ({
  task: smallTask({ trainSize: 64, evalSize: 64 }),
  seed: 3,
  maxSteps: 10,
  evalEvery: 4,
  backend: 'cpu',
  ...extra,
})

/** A pino logger whose records land in `lines`. */
function capture(lines: Record<string, unknown>[]) {
  return pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
}

const withoutMs = (rows: Record<string, unknown>[]) => rows.map(({ ms: _ms, ...r }) => r)
const readJsonl = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)

describe('the info progress line', () => {
  it('carries the metrics of the evaluation at its step', async () => {
    const lines: Record<string, unknown>[] = []
    await train(options({ log: capture(lines), logEvery: 4 }))
    const progress = lines.filter((l) => String(l.msg).startsWith('step '))
    expect(progress.map((l) => [l.msg, l.evalStep])).toEqual([['step 4/10', 4], ['step 8/10', 8], ['step 10/10', 10]])
    expect(typeof progress[0]!['eval.accuracy']).toBe('number')
    expect(typeof progress[0]!.loss).toBe('number')
  })

  it('shows the latest metrics on a line between evaluations', async () => {
    const lines: Record<string, unknown>[] = []
    await train(options({ log: capture(lines), logEvery: 3 }))
    const progress = lines.filter((l) => String(l.msg).startsWith('step '))
    expect(progress.map((l) => [l.msg, l.evalStep])).toEqual([['step 3/10', 0], ['step 6/10', 4], ['step 9/10', 8], ['step 10/10', 10]])
  })
})

describe('stopReason', () => {
  it("is 'budget' when the run uses its whole budget, and the stop's reason otherwise", async () => {
    expect((await train(options())).stopReason).toBe('budget')
    const stopper: Trick = { name: 'stopper', afterStep: (ctx, r) => void (r.step === 3 && ctx.stop('enough')) }
    expect((await train(options({ tricks: [stopper] }))).stopReason).toBe('enough')
  })
})

describe('metricsFile', () => {
  it('.jsonl: one row per step with phase, lr, loss terms and ms, metrics on evaluated steps', async () => {
    const file = path.join(dir, 'sub', 'run.jsonl')
    const r = await train(options({ metricsFile: file }))
    const rows = readJsonl(file)
    expect(rows.map((x) => x.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(rows[0]).toEqual({ step: 0, phase: 'main', metrics: r.history[0]!.metrics })
    expect(rows[1]).toMatchObject({ step: 1, phase: 'main', lr: 3e-3, loss: r.losses[0], parts: { ce: r.losses[0] } })
    expect(typeof rows[1]!.ms).toBe('number')
    expect(rows.filter((x) => x.metrics).map((x) => x.step)).toEqual(r.history.map((h) => h.step))
    expect(rows[4]!.metrics).toEqual(r.history[1]!.metrics)
  })

  it('.csv: a header and the same rows', async () => {
    const file = path.join(dir, 'run.csv')
    const r = await train(options({ metricsFile: file }))
    const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n')
    expect(header).toBe('step,phase,lr,loss,loss.ce,eval.accuracy,eval.loss,ms')
    expect(lines).toHaveLength(11)
    expect(lines[0]).toBe(`0,main,,,,${r.history[0]!.metrics.accuracy},${r.history[0]!.metrics.loss},`)
    expect(lines[2]!.split(',').slice(0, 5)).toEqual(['2', 'main', '0.003', String(r.losses[1]), String(r.losses[1])])
  })

  it('a resumed run keeps the rows up to its checkpoint and continues as the uninterrupted run', async () => {
    const reference = path.join(dir, 'ref.jsonl')
    await train(options({ metricsFile: reference }))
    const file = path.join(dir, 'run.jsonl')
    const checkpoint = { dir: path.join(dir, 'ckpt'), everySteps: 3 }
    await expect(
      train(options({ metricsFile: file, checkpoint, onStep: (r) => { if (r.step === 8) throw new Error('interrupted') } })),
    ).rejects.toThrow('interrupted')
    expect(readJsonl(file).at(-1)!.step).toBe(7) // rows past the checkpoint (step 6) were written
    const resumed = await train(options({ metricsFile: file, checkpoint, resume: true }))
    expect(resumed.resumedFrom?.step).toBe(6)
    expect(withoutMs(readJsonl(file))).toEqual(withoutMs(readJsonl(reference)))
  })

  it('rejects a path without .csv or .jsonl before any work', async () => {
    await expect(train(options({ metricsFile: 'run.txt' }))).rejects.toThrow(/metricsFile: got "run.txt"; expected a path ending in .csv or .jsonl/)
  })
})
