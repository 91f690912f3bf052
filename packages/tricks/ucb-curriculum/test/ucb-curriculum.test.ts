import { train, type StepReport, type TaskDefinition } from '@converge/core'
import { describe, expect, it } from 'vitest'
import { smallTask } from './fixtures.js'
import { oracleCurriculum, ucbCurriculum, ucbSamplingProbabilities, type AllocationTrace } from '../src/index.js'

const task = smallTask

/** What the windows should hold after the given step reports: per source, |A| of its responses, all time. */
function replay(reports: readonly StepReport[], window: number) {
  const seen = new Set<unknown>()
  const all: Record<string, number[]> = { add2: [], add6: [], add64: [] }
  for (const r of reports) {
    if (!r.rollouts || seen.has(r.rollouts)) continue
    seen.add(r.rollouts)
    r.rollouts.sources.forEach((s, i) => all[s]!.push(Math.abs(r.rollouts!.advantages![i]!)))
  }
  return Object.fromEntries(
    Object.entries(all).map(([s, v]) => {
      const last = v.slice(-window)
      return [s, { count: v.length, mean: last.length ? last.reduce((a, b) => a + b, 0) / last.length : 0 }]
    }),
  )
}

describe('ucbCurriculum', () => {
  it('feeds each source’s window with per-response |advantage| from step reports, counting responses', async () => {
    const t = ucbCurriculum({ window: 20 })
    const reports: StepReport[] = []
    await train({ task: task(), tricks: [t], maxSteps: 12, evalEvery: 100, backend: 'cpu', seed: 4, onStep: (r) => reports.push(r) })
    const want = replay(reports, 20)
    const got = t.report()
    let total = 0
    for (const s of ['add2', 'add6', 'add64']) {
      expect(got[s]!.count).toBe(want[s]!.count)
      expect(got[s]!.meanAbsAdvantage).toBeCloseTo(want[s]!.mean, 6)
      expect(got[s]!.windowLength).toBe(Math.min(20, want[s]!.count))
      total += got[s]!.count
    }
    expect(total).toBe(12 * 8 * 4) // responses, not prompts
    // the probabilities are the pure function of those statistics
    const p = ucbSamplingProbabilities(['add2', 'add6', 'add64'].map((s) => ({ meanAbsAdvantage: got[s]!.meanAbsAdvantage, count: got[s]!.count })), { exploration: 1, temperature: 0.1 })
    expect(Object.values(t.probabilities())).toEqual(p)
  })

  it('is not fed by evaluations: evaluating every step changes nothing', async () => {
    const run = async (evalEvery: number) => {
      const t = ucbCurriculum()
      const r = await train({ task: task(), tricks: [t], maxSteps: 10, evalEvery, backend: 'cpu', seed: 5 })
      return { state: JSON.stringify(t.state()), losses: r.losses, evals: r.history.length }
    }
    const often = await run(1)
    const rarely = await run(100)
    expect(often.evals).toBe(11)
    expect(rarely.evals).toBe(2)
    expect(often.state).toBe(rarely.state)
    expect(often.losses).toEqual(rarely.losses)
  })

  it('feeds once per batch when a task reuses batches for several updates', async () => {
    const t = ucbCurriculum()
    await train({ task: task({ updatesPerBatch: 3 }), tricks: [t], maxSteps: 9, evalEvery: 100, backend: 'cpu', seed: 6 })
    const total = Object.values(t.report()).reduce((a, r) => a + r.count, 0)
    expect(total).toBe(3 * 8 * 4)
    expect(t.allocation.length).toBe(3)
  })

  it('draws one source per slot from its probabilities and records the allocation', async () => {
    const t = ucbCurriculum()
    const sources: string[][] = []
    await train({ task: task(), tricks: [t], maxSteps: 6, evalEvery: 100, backend: 'cpu', seed: 7, onStep: (r) => sources.push([...r.sources]) })
    const trace = t.allocation.trace() as AllocationTrace
    expect(trace.sources).toEqual(['add2', 'add6', 'add64'])
    expect(trace.steps).toEqual([0, 1, 2, 3, 4, 5])
    trace.counts.forEach((c, k) => {
      expect(c).toEqual(trace.sources.map((s) => sources[k]!.filter((x) => x === s).length))
    })
    expect(trace.probabilities![0]).toEqual([1 / 3, 1 / 3, 1 / 3]) // nothing fed before the first batch
    trace.probabilities!.forEach((p) => expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12))
    const shares = t.allocation.shares()
    expect(Object.values(shares).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
  })

  it('moves slots away from a solved source and an unreachable one', async () => {
    const t = ucbCurriculum()
    await train({ task: task(), tricks: [t], maxSteps: 120, evalEvery: 120, backend: 'cpu', seed: 8 })
    const late = t.allocation.shares(60) // add2 is solved by step 40, add64 stays out of reach, add6 is being learnt
    expect(late.add6!).toBeGreaterThan(0.6)
    expect(late.add6!).toBeGreaterThan(late.add2!)
    expect(late.add6!).toBeGreaterThan(late.add64!)
  })

  it('loadState restores the windows, counts and trace', async () => {
    const t = ucbCurriculum()
    await train({ task: task(), tricks: [t], maxSteps: 5, evalEvery: 100, backend: 'cpu', seed: 9 })
    const u = ucbCurriculum()
    u.loadState!(JSON.parse(JSON.stringify(t.state!())))
    expect(u.probabilities()).toEqual(t.probabilities())
    expect(u.report()).toEqual(t.report())
    expect(u.allocation.trace()).toEqual(t.allocation.trace())
    expect(() => u.loadState!({ sources: ['a'], windows: [] })).toThrow(/loadState expects/)
  })

  it('validates its options and requires rewards and sources', async () => {
    expect(() => ucbCurriculum({ temperature: 0 })).toThrow(/temperature: got 0/)
    expect(() => ucbCurriculum({ window: 2.5 })).toThrow(/window: got 2.5/)
    expect(ucbCurriculum().requires).toEqual(['rewards', 'sources'])
    expect(ucbCurriculum().options).toEqual({ window: 300, exploration: 1, temperature: 0.1 })
  })
})

describe('oracleCurriculum', () => {
  it('samples in proportion to the task’s exact learnabilities', async () => {
    const t = oracleCurriculum()
    await train({ task: task(), tricks: [t], maxSteps: 3, evalEvery: 100, backend: 'cpu', seed: 1 })
    const p0 = t.allocation.trace().probabilities![0]!
    // uniform initial policy: P(mixed) = 1 − q⁴ − (1 − q)⁴ with q = 1/3, 1/11, 1/127
    const mixed = [1 / 3, 1 / 11, 1 / 127].map((q) => 1 - q ** 4 - (1 - q) ** 4)
    const z = mixed.reduce((a, b) => a + b, 0)
    p0.forEach((p, i) => expect(p).toBeCloseTo(mixed[i]! / z, 5))
  })
  it('needs a task that can report learnabilities', async () => {
    const base = smallTask()
    const noOracle: TaskDefinition = {
      ...base,
      async create(init) {
        const inst = await base.create(init)
        const { learnability: _dropped, ...sources } = inst.capabilities!.sources!
        return { ...inst, capabilities: { ...inst.capabilities, sources } }
      },
    }
    await expect(train({ task: noOracle, tricks: [oracleCurriculum()], maxSteps: 1, backend: 'cpu' })).rejects.toThrow(
      /oracle-curriculum needs a task whose "sources" capability offers learnability\(\)/,
    )
  })
})
