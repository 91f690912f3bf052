import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readRecords, runAblation, WorkerPool, type BenchEvent } from '../src/index.js'
import { tinySuite } from './fixtures/tiny-suite.js'

describe('runAblation', () => {
  it('runs every arm x paired seed, derives the target from the baseline, keeps censored runs, writes outputs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'converge-bench-'))
    const events: BenchEvent['type'][] = []
    const { summary, records, failures } = await runAblation(tinySuite, { out, backend: 'cpu', plots: true, bootstrapResamples: 200, onEvent: (e) => events.push(e.type) })
    expect(failures).toEqual([])
    expect(records).toHaveLength(6)
    expect(events.filter((e) => e === 'run-done')).toHaveLength(6)
    expect(summary!.targetSource).toMatch(/baseline "adam" median best/)
    const adam = summary!.arms.find((a) => a.arm === 'adam')!
    const sgd = summary!.arms.find((a) => a.arm === 'slow-sgd')!
    expect(adam.reached).toBe(3)
    expect(sgd.reached).toBe(0)
    expect(sgd.runs).toBe(3)
    expect(sgd.medianSteps).toBeNull()
    expect(sgd.speedup).toMatchObject({ estimate: 0, low: 0, high: 0 })
    expect(sgd.extras).toEqual({ stateBytes: 42 })
    expect(records.find((r) => r.arm === 'slow-sgd')!.extras.trace).toEqual([1, 2, 3])
    for (const f of ['results.jsonl', 'report.md', 'summary.json', 'metric.svg', 'speedup.svg']) expect(existsSync(join(out, 'tiny', f))).toBe(true)
    const report = readFileSync(join(out, 'tiny', 'report.md'), 'utf8')
    expect(report).toMatch(/\| slow-sgd \| 0\/3 \| not reached \(> 40\)/)
    expect(report).toMatch(/not reached\*\* \(censored\)/)
    expect(readFileSync(join(out, 'tiny', 'metric.svg'), 'utf8')).toMatch(/^<svg/)
    const rec = readRecords(join(out, 'tiny', 'results.jsonl'))[0]!
    expect(rec.tricks).toEqual([])
    expect(rec.backend.name).toBe('cpu')
    expect(rec.provenance.packages['@tensorflow/tfjs']).toBe('4.22.0')
    expect(rec.configHash).toMatch(/^[0-9a-f]{16}$/)
  })

  it('resumes: completed runs are skipped, a half-written last line is cut off and that run redone', async () => {
    const out = mkdtempSync(join(tmpdir(), 'converge-bench-'))
    await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 2 })
    const path = join(out, 'tiny', 'results.jsonl')
    expect(readRecords(path)).toHaveLength(2)
    appendFileSync(path, '{"format":1,"suite":"tiny","arm":"adam","se') // a run killed mid-write
    const started: number[] = []
    const { records } = await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 3, onEvent: (e) => e.type === 'run-start' && started.push(e.job.seed) })
    expect(started).toEqual([3])
    expect(records.map((r) => r.seed)).toEqual([1, 2, 3])
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3)
  })

  it('does not reuse runs made under other settings', async () => {
    const out = mkdtempSync(join(tmpdir(), 'converge-bench-'))
    await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 1 })
    const started: number[] = []
    await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 1, maxSteps: 30, onEvent: (e) => e.type === 'run-start' && started.push(e.job.seed) })
    expect(started).toEqual([1])
  })

  it('rejects unknown arms', async () => {
    await expect(runAblation(tinySuite, { arms: ['nope'], plots: false })).rejects.toThrow(/suite "tiny" has no arm "nope"/)
  })

  it('gives the same statistics for the same seeds', async () => {
    const a = await runAblation(tinySuite, { out: mkdtempSync(join(tmpdir(), 'cb-')), backend: 'cpu', plots: false, seeds: 2, bootstrapResamples: 100 })
    const b = await runAblation(tinySuite, { out: mkdtempSync(join(tmpdir(), 'cb-')), backend: 'cpu', plots: false, seeds: 2, bootstrapResamples: 100 })
    expect(a.summary!.arms.map((x) => x.stepsBySeed)).toEqual(b.summary!.arms.map((x) => x.stepsBySeed))
    expect(a.summary!.target).toEqual(b.summary!.target)
  })
})

describe('parallel runs in worker processes', () => {
  it('give the same records as running in this process (determinism across processes)', async () => {
    const pool = new WorkerPool(2, join(import.meta.dirname, 'fixtures', 'tiny.config.ts'))
    try {
      const par = await runAblation(tinySuite, { out: mkdtempSync(join(tmpdir(), 'cb-')), backend: 'cpu', plots: false, seeds: 2, executor: pool })
      const seq = await runAblation(tinySuite, { out: mkdtempSync(join(tmpdir(), 'cb-')), backend: 'cpu', plots: false, seeds: 2 })
      const strip = (rs: typeof par.records) => rs.map((r) => ({ arm: r.arm, seed: r.seed, history: r.result.history.map((h) => h.metrics) }))
      expect(par.failures).toEqual([])
      expect(strip(par.records)).toEqual(strip(seq.records))
    } finally {
      await pool.close()
    }
  })
})
