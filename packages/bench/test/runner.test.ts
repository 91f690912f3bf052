import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listCheckpoints, wsdSchedule } from '@converge/core'
import { afterAll, describe, expect, it } from 'vitest'
import { defineSuite, readRecords, runAblation, WorkerPool, type BenchEvent } from '../src/index.js'
import { tinyDivergingSuite, tinySuite, tinyTunedSuite } from './fixtures/tiny-suite.js'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'converge-bench-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const SRC = 'source-a' // a fixed source hash keeps these tests independent of the checkout

describe('runAblation', () => {
  it('runs every arm x paired seed interleaved per seed, keeps censored runs as bounds, writes outputs', async () => {
    const out = tmp()
    const events: BenchEvent[] = []
    const { summary, records, failures } = await runAblation(tinySuite, { out, backend: 'cpu', plots: true, sourceHash: SRC, onEvent: (e) => events.push(e) })
    expect(failures).toEqual([])
    expect(records).toHaveLength(6)
    const order = events.flatMap((e) => (e.type === 'run-start' ? [`${e.job.arm}/${e.job.seed}`] : []))
    expect(order).toEqual(['adam/1', 'slow-sgd/1', 'adam/2', 'slow-sgd/2', 'adam/3', 'slow-sgd/3'])
    expect(summary!.targetSource).toMatch(/baseline "adam" median best/)
    const adam = summary!.arms.find((a) => a.arm === 'adam')!
    const sgd = summary!.arms.find((a) => a.arm === 'slow-sgd')!
    expect(adam.reached).toBe(3)
    expect(sgd.reached).toBe(0)
    expect(sgd.runs).toBe(3)
    expect(sgd.medianSteps).toBeNull()
    // never reached: the ratio is an upper bound (baseline steps / budget), not 0x [0, 0]
    expect(sgd.speedup).toMatchObject({ estimateLow: 0, low: 0, n: 3, enough: true })
    expect(sgd.speedup!.estimateHigh).toBeGreaterThan(0)
    // every pair's bound is strict (the arm took more than the budget), so the interval [0, x) lies below 1: slower,
    // though with no pair where both reached there is no spread to size a detectable effect
    expect(sgd.speedup!.method).toBe('sign-test')
    expect(sgd.verdict).toMatchObject({ word: 'slower', minimumDetectable: { speedup: null, spreadPairs: 0, optimistic: true } })
    expect(adam.verdict).toBeNull()
    expect(sgd.extras).toEqual({ stateBytes: 42 })
    expect(records.find((r) => r.arm === 'slow-sgd')!.extras.trace).toEqual([1, 2, 3])
    for (const f of ['results.jsonl', 'report.md', 'summary.json', 'metric.svg', 'speedup.svg', 'forest.svg', 'target-levels.svg']) expect(existsSync(join(out, 'tiny', f))).toBe(true)
    const report = readFileSync(join(out, 'tiny', 'report.md'), 'utf8')
    expect(report).toMatch(/\| slow-sgd \| 0\/3 \| not reached in 40 \| < 0\.\d+x \[0, /)
    expect(report).not.toMatch(/0x \[0, 0\]/)
    expect(report).toMatch(/\| sign test \| slower \| unknown/)
    const saved = JSON.parse(readFileSync(join(out, 'tiny', 'summary.json'), 'utf8'))
    expect(JSON.stringify(saved)).toMatch(/"verdict":\{"word":"slower"/)
    expect(report).toMatch(/## Steps-to-target at other targets/)
    expect(readFileSync(join(out, 'tiny', 'speedup.svg'), 'utf8')).toMatch(/^<svg/)
    const rec = readRecords(join(out, 'tiny', 'results.jsonl'))[0]!
    expect(rec).toMatchObject({ kind: 'run', hp: {}, sourceHash: SRC, tricks: [] })
    expect(rec.backend.name).toBe('cpu')
    expect(rec.provenance.packages['@tensorflow/tfjs']).toBe('4.22.0')
    expect(rec.configHash).toMatch(/^[0-9a-f]{16}$/)
    // every run's per-step metrics file beside the records: one row per optimizer step, evaluations on their rows
    const metrics = readdirSync(join(out, 'tiny', 'metrics')).sort()
    expect(metrics).toHaveLength(6)
    const rows = readFileSync(join(out, 'tiny', 'metrics', metrics.find((f) => f.startsWith('run-adam-1-'))!), 'utf8').trim().split('\n')
    expect(rows[0]).toMatch(/^step,phase,lr,loss,.*eval\.accuracy/)
    const adamRun = records.find((r) => r.arm === 'adam' && r.seed === 1)!
    expect(rows.filter((r) => /^[1-9]\d*,main,/.test(r))).toHaveLength(adamRun.result.steps) // step 0: the first evaluation alone
  })

  it("keeps the run's budget in the probe and warm-up runs, so a schedule's warm-up longer than either is valid", async () => {
    // before: the 1-step probe and the 20-step warm-up ran with maxSteps 1 and 20, and the schedule refused a 25-step warm-up
    const warm = defineSuite({ ...tinySuite, name: 'tiny-warmup', arms: [{ name: 'adam', tricks: () => [wsdSchedule({ warmupSteps: 25, decayFraction: 0.2 })] }, tinySuite.arms[1]!] })
    const { failures, records } = await runAblation(warm, { out: tmp(), backend: 'cpu', plots: false, seeds: 1, sourceHash: SRC })
    expect(failures).toEqual([])
    expect(records.map((r) => [r.arm, r.result.steps])).toEqual([['adam', 40], ['slow-sgd', 40]])
  })

  it('stopAtTarget ends each run at its first evaluation on the explicit target, with the same steps-to-target', async () => {
    const target = { kind: 'explicit' as const, target: { metric: 'accuracy', direction: 'max' as const, value: 0.3 } }
    const pinned = { ...tinySuite, target, arms: tinySuite.arms.slice(0, 1) }
    const stopping = { ...pinned, sizes: { ...pinned.sizes, quick: { ...pinned.sizes.quick, stopAtTarget: true } } }
    const full = await runAblation(pinned, { out: tmp(), backend: 'cpu', plots: false, seeds: 2, sourceHash: SRC })
    const early = await runAblation(stopping, { out: tmp(), backend: 'cpu', plots: false, seeds: 2, sourceHash: SRC })
    for (const [i, rec] of early.records.entries()) {
      const reachedAt = full.records[i]!.result.history.find((h) => h.metrics.accuracy! >= 0.3)!.step
      expect(reachedAt).toBeLessThan(40)
      expect(rec.result.stopReason).toBe('target reached')
      expect(rec.result.steps).toBe(reachedAt)
      expect(rec.result.history.at(-1)!.step).toBe(reachedAt)
      expect(rec.configHash).not.toBe(full.records[i]!.configHash) // a stopped run is not reused as a full one
    }
    expect(early.summary!.arms[0]!.medianSteps).toBe(full.summary!.arms[0]!.medianSteps)
    // a stopped run says nothing about stricter targets: only the looser levels are reported
    expect(full.summary!.targetLevels.map((l) => l.gapScale)).toEqual([2, 1, 0.5, 0.25])
    expect(early.summary!.targetLevels.map((l) => l.gapScale)).toEqual([2, 1])
  })

  it('resumes: completed runs are skipped, a half-written last line is cut off and that run redone', async () => {
    const out = tmp()
    await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 2, sourceHash: SRC })
    const path = join(out, 'tiny', 'results.jsonl')
    expect(readRecords(path)).toHaveLength(2)
    appendFileSync(path, '{"format":2,"suite":"tiny","arm":"adam","se') // a run killed mid-write
    const started: number[] = []
    const { records } = await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 3, sourceHash: SRC, onEvent: (e) => e.type === 'run-start' && started.push(e.job.seed) })
    expect(started).toEqual([3])
    expect(records.map((r) => r.seed)).toEqual([1, 2, 3])
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3)
  })

  it('does not reuse runs made under other settings or other source code, says so, and --fresh ignores the cache', async () => {
    const out = tmp()
    const opts = { out, backend: 'cpu' as const, plots: false, arms: ['adam'], seeds: 1 }
    await runAblation(tinySuite, { ...opts, sourceHash: SRC })
    const started = (events: BenchEvent[]) => events.filter((e) => e.type === 'run-start').length
    const e1: BenchEvent[] = []
    await runAblation(tinySuite, { ...opts, maxSteps: 30, sourceHash: SRC, onEvent: (e) => e1.push(e) })
    expect(started(e1)).toBe(1)
    const e2: BenchEvent[] = []
    await runAblation(tinySuite, { ...opts, sourceHash: SRC, onEvent: (e) => e2.push(e) })
    expect(started(e2)).toBe(0) // cached
    const e3: BenchEvent[] = []
    await runAblation(tinySuite, { ...opts, sourceHash: 'source-b', onEvent: (e) => e3.push(e) })
    expect(started(e3)).toBe(1)
    expect(e3).toContainEqual({ type: 'stale', suite: 'tiny', count: 1 })
    const e4: BenchEvent[] = []
    await runAblation(tinySuite, { ...opts, sourceHash: 'source-b', fresh: true, onEvent: (e) => e4.push(e) })
    expect(started(e4)).toBe(1)
  })

  it("runs only the size's arms (baseline included), unless --arms says otherwise", async () => {
    const suite = { ...tinySuite, sizes: { ...tinySuite.sizes, quick: { ...tinySuite.sizes.quick, seeds: 1, arms: ['adam'] } } }
    const ranArms = async (arms?: string[]) => {
      const started = new Set<string>()
      await runAblation(suite, { out: tmp(), backend: 'cpu', plots: false, sourceHash: SRC, ...(arms ? { arms } : {}), onEvent: (e) => e.type === 'run-start' && started.add(e.job.arm) })
      return [...started].sort()
    }
    expect(await ranArms()).toEqual(['adam'])
    expect(await ranArms(['slow-sgd'])).toEqual(['adam', 'slow-sgd'])
  })

  it('rejects unknown arms before creating any folder', async () => {
    const out = tmp()
    await expect(runAblation(tinySuite, { out, arms: ['nope'], plots: false, sourceHash: SRC })).rejects.toThrow(/suite "tiny" has no arm "nope"/)
    expect(existsSync(join(out, 'tiny'))).toBe(false)
  })

  it('names the file and line of a corrupt results line, and can move bad lines aside', async () => {
    const out = tmp()
    await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 1, sourceHash: SRC })
    const path = join(out, 'tiny', 'results.jsonl')
    writeFileSync(path, `not json\n${readFileSync(path, 'utf8')}`)
    await expect(runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 1, sourceHash: SRC })).rejects.toThrow(/results\.jsonl: line 1 is not valid JSON records.*--drop-corrupt-lines/)
    const again = await runAblation(tinySuite, { out, backend: 'cpu', plots: false, arms: ['adam'], seeds: 1, sourceHash: SRC, dropCorrupt: true })
    expect(again.records).toHaveLength(1)
    expect(readFileSync(`${path}.corrupt`, 'utf8')).toBe('not json\n')
    expect(readRecords(path)).toHaveLength(1)
  })

  it('stops at once on an unknown target metric, before any run', async () => {
    const out = tmp()
    const bad = { ...tinySuite, target: { kind: 'fromBaseline' as const, margin: 0.05, metric: 'f1' } }
    const events: BenchEvent['type'][] = []
    await expect(runAblation(bad, { out, backend: 'cpu', plots: false, sourceHash: SRC, onEvent: (e) => events.push(e.type) })).rejects.toThrow(/target metric "f1" is not among the metrics the task reports \(accuracy/)
    expect(events).not.toContain('run-start')
  })

  it('stops at the first run when the backend cannot start, recording nothing', async () => {
    const out = tmp()
    const events: BenchEvent['type'][] = []
    await expect(runAblation(tinySuite, { out, backend: 'tensorflow', plots: false, sourceHash: SRC, onEvent: (e) => events.push(e.type) })).rejects.toMatchObject({ name: 'BackendError' })
    expect(events).not.toContain('run-failed')
    expect(existsSync(join(out, 'tiny', 'results.jsonl'))).toBe(false)
  })

  it('keeps the real training time of a diverged run', async () => {
    const { records } = await runAblation(tinyDivergingSuite, { out: tmp(), backend: 'cpu', plots: false, sourceHash: SRC })
    const d = records.find((r) => r.arm === 'huge-lr')!
    expect(d.result.diverged).not.toBeNull()
    expect(d.result.trainMs).toBeGreaterThan(0)
  })

  it('aborting drops runs still in flight and starts no more', async () => {
    const out = tmp()
    const ctl = new AbortController()
    const outcome = await runAblation(tinySuite, {
      out,
      backend: 'cpu',
      plots: false,
      sourceHash: SRC,
      signal: ctl.signal,
      onEvent: (e) => e.type === 'run-start' && e.job.seed === 1 && e.job.arm === 'adam' && ctl.abort(),
    })
    expect(outcome.aborted).toBe(true)
    expect(outcome.summary).toBeNull()
    expect(existsSync(join(out, 'tiny', 'results.jsonl'))).toBe(false)
  })

  it('gives the same statistics for the same seeds', async () => {
    const a = await runAblation(tinySuite, { out: tmp(), backend: 'cpu', plots: false, seeds: 2, sourceHash: SRC })
    const b = await runAblation(tinySuite, { out: tmp(), backend: 'cpu', plots: false, seeds: 2, sourceHash: SRC })
    expect(a.summary!.arms.map((x) => x.stepsBySeed)).toEqual(b.summary!.arms.map((x) => x.stepsBySeed))
    expect(a.summary!.target).toEqual(b.summary!.target)
  })
})

describe('tuning', () => {
  it('tunes on seeds disjoint from the reported ones, picks the point that reaches, caches tuning runs and reports grid, choice and cost', async () => {
    const out = tmp()
    const events: BenchEvent[] = []
    const o = await runAblation(tinyTunedSuite, { out, backend: 'cpu', plots: false, sourceHash: SRC, onEvent: (e) => events.push(e) })
    expect(o.failures).toEqual([])
    // baseline (no grid) on the tuning seeds to set the tuning target, and every grid point of sgd
    expect(o.tuningRecords.map((r) => `${r.arm}/${r.seed}/${JSON.stringify(r.hp)}`)).toEqual([
      'adam/1001/{}', 'sgd/1001/{"lr":0.000001}', 'sgd/1001/{"lr":0.5}',
      'adam/1002/{}', 'sgd/1002/{"lr":0.000001}', 'sgd/1002/{"lr":0.5}',
    ])
    const reportedSeeds = new Set(o.records.map((r) => r.seed))
    expect([...reportedSeeds]).toEqual([1, 2])
    const t = o.summary!.tuning.find((x) => x.arm === 'sgd')!
    expect(t.chosen).toEqual({ lr: 0.5 })
    expect(t.points.find((p) => p.hp.lr === 1e-6)!.medianSteps).toBeNull()
    expect(t).toMatchObject({ runs: 4, steps: 160 })
    expect(o.summary!.tuningTarget!.source).toMatch(/baseline "adam" tuning runs/)
    expect(o.records.filter((r) => r.arm === 'sgd').every((r) => r.hp.lr === 0.5 && r.optimizer?.learningRate === 0.5)).toBe(true)
    const lines = readRecords(join(out, 'tiny-tuned', 'results.jsonl'))
    expect(lines.filter((r) => r.kind === 'tune')).toHaveLength(6)
    const report = readFileSync(join(out, 'tiny-tuned', 'report.md'), 'utf8')
    expect(report).toMatch(/## Tuning/)
    expect(report).toMatch(/lr ∈ \{0\.000001, 0\.5\} on 2 tuning seeds → lr=0\.5; cost 4 runs, 160 steps/)
    expect(report).toMatch(/lr=0\.5 \*\*\(chosen\)\*\*/)
    // a rerun reuses every tuning and reported run
    const again: BenchEvent[] = []
    await runAblation(tinyTunedSuite, { out, backend: 'cpu', plots: false, sourceHash: SRC, onEvent: (e) => again.push(e) })
    expect(again.filter((e) => e.type === 'run-start')).toHaveLength(0)
  })
})

describe('parallel runs in worker processes', () => {
  it('with checkpoints on, a bench killed mid-run resumes that run from its checkpoint, to the record an uninterrupted bench writes', async () => {
    const out = tmp()
    // 200 steps leave the kill at step 25 far from the run's end, however loaded the machine.
    const opts = { out, backend: 'cpu' as const, plots: false, arms: ['adam'], seeds: 1, maxSteps: 200, sourceHash: SRC, checkpoints: { everySteps: 10 } }
    const ctl = new AbortController()
    const pool = new WorkerPool(1, join(import.meta.dirname, 'fixtures', 'tiny.config.ts'))
    let dir = ''
    try {
      const killed = await runAblation(tinySuite, {
        ...opts,
        executor: pool,
        signal: ctl.signal,
        onEvent: (e) => {
          if (e.type === 'run-start') dir = e.job.checkpoint!.dir
          if (e.type === 'run-progress' && e.step >= 25 && !ctl.signal.aborted) {
            ctl.abort()
            pool.kill() // what Ctrl-C does: the worker dies mid-run
          }
        },
      })
      expect(killed.aborted).toBe(true)
    } finally {
      await pool.close()
    }
    expect(dir.startsWith(join(out, 'tiny', 'checkpoints', 'run-adam-1-'))).toBe(true)
    expect(listCheckpoints(dir).length).toBeGreaterThan(0) // the killed run left its checkpoints
    const firstStep: number[] = []
    const resumed = await runAblation(tinySuite, { ...opts, onEvent: (e) => e.type === 'run-progress' && firstStep.length === 0 && firstStep.push(e.step) })
    expect(firstStep[0]).toBeGreaterThan(10) // continued from a checkpoint, not from step 1
    expect(existsSync(join(out, 'tiny', 'checkpoints'))).toBe(false) // removed once recorded
    const plain = await runAblation(tinySuite, { ...opts, out: tmp(), checkpoints: undefined })
    const strip = (rs: typeof plain.records) => rs.map((r) => r.result.history.map((h) => ({ step: h.step, metrics: h.metrics })))
    expect(strip(resumed.records)).toEqual(strip(plain.records))
  })

  it('give the same records as running in this process (determinism across processes)', async () => {
    const pool = new WorkerPool(2, join(import.meta.dirname, 'fixtures', 'tiny.config.ts'))
    try {
      const par = await runAblation(tinySuite, { out: tmp(), backend: 'cpu', plots: false, seeds: 2, executor: pool, sourceHash: SRC })
      const seq = await runAblation(tinySuite, { out: tmp(), backend: 'cpu', plots: false, seeds: 2, sourceHash: SRC })
      const strip = (rs: typeof par.records) => rs.map((r) => ({ arm: r.arm, seed: r.seed, history: r.result.history.map((h) => h.metrics) }))
      expect(par.failures).toEqual([])
      expect(strip(par.records)).toEqual(strip(seq.records))
    } finally {
      await pool.close()
    }
  })
})
