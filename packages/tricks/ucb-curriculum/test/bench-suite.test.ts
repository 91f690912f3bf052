import type { RunResult } from '@converge/core'
import type { RunRecordLike } from '@converge/core/suite'
import { describe, expect, it } from 'vitest'
import { allocationPlot, collectAllocation, COIN_MIXTURE, HELPFUL_MIXTURE, ucbCoinControlSuite, ucbCurriculumSuite } from '../src/bench-suite.js'
import { allocationRecorder, ucbCurriculum } from '../src/index.js'

const fakeResult = (steps: number, evalEvery: number, stepsToTarget: number | null = null) => ({ steps, evalEvery, stepsToTarget }) as unknown as RunResult

describe('ucb-curriculum bench suites', () => {
  it('compare uniform, UCB, UCB τ = 1 and the oracle on two mixtures, costed in rollouts', () => {
    for (const suite of [ucbCurriculumSuite, ucbCoinControlSuite]) {
      expect(suite.arms.map((a) => a.name)).toEqual(['uniform', 'ucb', 'ucb-tau1', 'oracle'])
      expect(suite.baseline).toBe('uniform')
      expect(suite.cost).toEqual({ name: 'rollouts', perStep: 128 })
      const task = suite.task('quick') as unknown as { rolloutsPerStep: number }
      expect(task.rolloutsPerStep).toBe(128)
      for (const arm of suite.arms) expect(arm.tricks({}).length).toBe(1) // fresh tricks per run
    }
    expect(ucbCurriculumSuite.name).toBe('ucb-curriculum')
    expect(HELPFUL_MIXTURE.filter((s) => s.role === 'learnable')).toHaveLength(2)
    expect(COIN_MIXTURE.some((s) => s.kind === 'coin')).toBe(true)
  })

  it('collects whole-run and late shares, and per-interval allocation and probabilities for plots', () => {
    const t = ucbCurriculum()
    t.allocation.reset(['a', 'b'])
    t.allocation.record(0, ['a', 'a', 'a', 'b'], [0.75, 0.25])
    t.allocation.record(1, ['a', 'b', 'b', 'b'], [0.25, 0.75])
    t.allocation.record(2, ['b', 'b', 'b', 'b'], [0, 1])
    t.allocation.record(3, ['b', 'b', 'b', 'b'], [0, 1])
    const extras = collectAllocation([t], fakeResult(4, 2, 2))
    expect(extras['share/a']).toBeCloseTo(4 / 16, 12)
    expect(extras['targetShare/a']).toBeCloseTo(4 / 8, 12) // batches drawn at steps 0 and 1
    expect(extras['lateShare/b']).toBe(1) // the last quarter: batch 3
    expect(extras.allocStep).toEqual([0, 2])
    expect(extras['alloc/a']).toEqual([0.5, 0])
    expect(extras['prob/b']).toEqual([0.5, 1])
    const r = allocationRecorder()
    r.allocation.reset(['a', 'b'])
    r.allocation.record(0, ['a', 'b'])
    const observed = collectAllocation([r], fakeResult(1, 1))
    expect(observed['alloc/a']).toEqual([0.5])
    expect(observed['prob/a']).toBeUndefined()
    expect(collectAllocation([], fakeResult(1, 1))).toEqual({})
  })

  it('plots the mean allocation over seeds per arm as a Vega-Lite spec', () => {
    const rec = (arm: string, seed: number, a: number[]): RunRecordLike => ({
      suite: 'ucb-curriculum',
      arm,
      seed,
      result: { history: [], steps: 4, trainMs: 1 },
      extras: { allocStep: [0, 2], 'alloc/a': a, 'alloc/b': a.map((v) => 1 - v) },
    })
    const plot = allocationPlot('ucb-curriculum', [rec('ucb', 1, [1, 0.5]), rec('ucb', 2, [0, 0.5]), rec('uniform', 1, [0.5, 0.5])])
    const rows = (plot.spec.data as { values: { arm: string; step: number; source: string; share: number }[] }).values
    expect(rows.find((r) => r.arm === 'ucb' && r.source === 'a' && r.step === 0)!.share).toBe(0.5)
    expect(rows.filter((r) => r.arm === 'uniform')).toHaveLength(4)
    expect(plot.spec.facet).toBeDefined()
  })
})
