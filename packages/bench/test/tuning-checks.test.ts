import { describe, expect, it } from 'vitest'
import type { ArmSpec } from '@converge/core/suite'
import { fmtTuning } from '../src/format.js'
import type { RunRecord } from '../src/records.js'
import { chooseHyperparams, gridPoints } from '../src/tuning.js'

/** A tuning record whose accuracy climbs by `rate` per evaluation (every 10 steps, 10 evaluations). */
const rec = (lr: number, seed: number, rate: number): RunRecord =>
  ({
    kind: 'tune',
    arm: 'sgd',
    seed,
    hp: { lr },
    maxSteps: 100,
    result: {
      history: Array.from({ length: 10 }, (_, i) => ({ step: (i + 1) * 10, metrics: { accuracy: Math.min(1, rate * (i + 1)) }, trainMs: i })),
      diverged: null,
      steps: 100,
      trainMs: 10,
      taskTarget: { metric: 'accuracy', direction: 'max', value: 0.5 },
    },
  }) as unknown as RunRecord

const arm: ArmSpec = { name: 'sgd', tricks: () => [], tune: { lr: [0.01, 0.03, 0.1] } }
const target = { metric: 'accuracy', direction: 'max' as const, value: 0.5 }

describe('tuning checks', () => {
  it('says when the tuning seeds agree and warns at the edge of the grid', () => {
    // lr 0.1 fastest on both seeds: agreed, but the highest value of its grid
    const records = [1001, 1002].flatMap((seed) => [rec(0.01, seed, 0.05), rec(0.03, seed, 0.1), rec(0.1, seed, 0.2)])
    const t = chooseHyperparams(arm, gridPoints(arm.tune), records, target)
    expect(t.chosen).toEqual({ lr: 0.1 })
    expect(t.seedsAgree).toBe(true)
    expect(t.atEdge).toEqual([{ key: 'lr', value: 0.1, side: 'highest' }])
    expect(fmtTuning(t)).toMatch(/tuning seeds agreed; WARNING: lr = 0\.1 is the highest value of its grid: widen the grid/)
  })
  it('shows each seed’s own choice when they disagree, and no warning for an interior choice', () => {
    const records = [
      rec(0.01, 1001, 0.05), rec(0.03, 1001, 0.2), rec(0.1, 1001, 0.1),
      rec(0.01, 1002, 0.05), rec(0.03, 1002, 0.1), rec(0.1, 1002, 0.13),
    ]
    const t = chooseHyperparams(arm, gridPoints(arm.tune), records, target)
    // medians: 0.03 → (30 + 50)/2 = 40 steps, 0.1 → (50 + 40)/2 = 45 steps; seed 1002 alone prefers 0.1
    expect(t.chosen).toEqual({ lr: 0.03 })
    expect(t.perSeed).toEqual([{ seed: 1001, chosen: { lr: 0.03 } }, { seed: 1002, chosen: { lr: 0.1 } }])
    expect(t.seedsAgree).toBe(false)
    expect(t.atEdge).toEqual([])
    expect(fmtTuning(t)).toMatch(/tuning seeds disagreed \(seed 1001 → lr=0\.03, seed 1002 → lr=0\.1\)$/)
  })
  it('tuneBy final ranks by the median final value, not by the first crossing', () => {
    // lr 0.1 crosses 0.5 first (step 30) but falls back to 0.3 at the end; lr 0.01 crosses late (step 90) and ends at 0.9
    const curve = (lr: number, seed: number, values: number[]): RunRecord => {
      const r = rec(lr, seed, 0) as unknown as { result: { history: { step: number; metrics: Record<string, number> }[] } }
      r.result.history = values.map((v, i) => ({ step: (i + 1) * 10, metrics: { accuracy: v } }))
      return r as unknown as RunRecord
    }
    const early = [0.2, 0.4, 0.6, 0.6, 0.5, 0.4, 0.4, 0.3, 0.3, 0.3]
    const late = [0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4, 0.6, 0.9]
    const middle = [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6]
    const records = [1001, 1002].flatMap((seed) => [curve(0.01, seed, late), curve(0.03, seed, middle), curve(0.1, seed, early)])
    expect(chooseHyperparams(arm, gridPoints(arm.tune), records, target).chosen).toEqual({ lr: 0.1 })
    const byFinal = chooseHyperparams(arm, gridPoints(arm.tune), records, target, 'raw', 'final')
    expect(byFinal.chosen).toEqual({ lr: 0.01 })
    expect(byFinal.points.map((p) => p.medianFinal)).toEqual([0.9, 0.6, 0.3])
    expect(byFinal.seedsAgree).toBe(true)
  })
})
