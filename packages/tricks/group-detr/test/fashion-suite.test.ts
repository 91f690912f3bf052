import { describe, expect, it } from 'vitest'
import { planSuite, selectSuites } from '@converge/bench'
import { groupDetrFashionSuite, groupDetrSuite } from '../src/bench-suite.js'

describe('the group-detr-fashion suite', () => {
  it('is opt-in: a plain bench leaves it out, --suite picks it', () => {
    const suites = [groupDetrSuite, groupDetrFashionSuite]
    expect(selectSuites(suites)).toEqual([])
    expect(selectSuites(suites, ['group-detr-fashion'])).toEqual([groupDetrFashionSuite])
  })

  it('plans at both sizes (every arm builds, the target comes from the baseline’s tuning seeds), the full size comparing K = 1 and K = 4', () => {
    for (const size of ['quick', 'full'] as const) {
      const plan = planSuite(groupDetrFashionSuite, { size, sourceHash: 'test' })
      expect(plan.tuningJobs.every((j) => j.seed > 1000)).toBe(true)
      expect(plan.tuningJobs.length).toBeGreaterThan(0)
      expect(plan.tuningJobs.every((j) => j.arm === 'A-detr')).toBe(true)
    }
    const full = planSuite(groupDetrFashionSuite, { size: 'full', sourceHash: 'test' })
    expect(full.arms.map((a) => a.name)).toEqual(['A-detr', 'B-group4'])
    const controls = planSuite(groupDetrFashionSuite, { size: 'full', sourceHash: 'test', arms: ['C-detr-120q', 'D-group4-unseparated'] })
    expect(controls.arms.map((a) => a.name)).toEqual(['A-detr', 'C-detr-120q', 'D-group4-unseparated'])
  })

  it('gives every arm the same optimizer (AdamW, weight decay 1e-4) and a gradient clip of 0.1', () => {
    for (const arm of groupDetrFashionSuite.arms) {
      const spec = typeof arm.optimizer === 'function' ? arm.optimizer({}) : arm.optimizer
      expect(spec).toMatchObject({ name: 'adam', weightDecay: 1e-4 })
      const clip = arm.tricks({}).find((t) => t.name === 'grad-clip')
      expect(clip?.options).toEqual({ maxNorm: 0.1 })
    }
  })
})
