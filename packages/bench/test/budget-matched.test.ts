import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { wsdSchedule } from '@converge/core'
import { defineSuite } from '@converge/core/suite'
import { budgetsOf, matchedRatio, validateBudgets } from '../src/budget-matched.js'
import { runAblation } from '../src/runner.js'
import { tinySuite } from './fixtures/tiny-suite.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('budget-matched ratio per pair', () => {
  it('interpolates T* in log budget between the last budget short of the baseline and the first that matches', () => {
    // baseline loss 1.0 at 1000; arm 1.2 at 400, 0.9 at 800 → matched 2/3 of the way from log 400 to log 800
    const r = matchedRatio(1.0, 1000, [{ budget: 800, final: 0.9 }, { budget: 400, final: 1.2 }], 'min')!
    const tStar = Math.exp(Math.log(400) + (2 / 3) * Math.log(2))
    expect(r.low).toBeCloseTo(1000 / tStar, 12)
    expect(r.high).toBe(r.low)
  })
  it('gives bounds when the smallest budget already matches or no budget does', () => {
    expect(matchedRatio(0.8, 1000, [{ budget: 500, final: 0.85 }, { budget: 1000, final: 0.9 }], 'max')).toEqual({ low: 2, high: Number.POSITIVE_INFINITY })
    expect(matchedRatio(0.8, 1000, [{ budget: 500, final: 0.6 }, { budget: 1000, final: 0.7 }], 'max')).toEqual({ low: 0, high: 1 })
    // a diverged shorter budget: bounded by the two budgets, no interpolation
    expect(matchedRatio(0.8, 1000, [{ budget: 500, final: Number.NaN }, { budget: 1000, final: 0.9 }], 'max')).toEqual({ low: 1, high: 2 })
    expect(matchedRatio(Number.NaN, 1000, [{ budget: 500, final: 0.9 }], 'max')).toBeNull()
  })
  it('rounds budgets to whole evaluations and checks the fractions', () => {
    expect(budgetsOf([0.5, 0.74, 0.75], 1000, 100)).toEqual([500, 700, 800])
    expect(budgetsOf([0.01], 1000, 100)).toEqual([100])
    const arm = { name: 'a', tricks: () => [] }
    expect(() => validateBudgets('s', { ...arm, budgetFractions: [0.5, 1] })).toThrow(/budgetFractions must be .* in \(0, 1\).*\[0\.5,1\]/)
    expect(() => validateBudgets('s', { ...arm, budgetFractions: [] })).toThrow(/non-empty/)
    expect(() => validateBudgets('s', { ...arm, budgetFractions: [0.5, 0.75] })).not.toThrow()
  })
})

describe('budget-matched suite end to end', () => {
  it('runs every budget as a complete run with its own schedule and reports T_baseline / T* with an interval', async () => {
    const out = mkdtempSync(join(tmpdir(), 'converge-budget-'))
    dirs.push(out)
    const schedule = () => [wsdSchedule({ decayFraction: 0.3 })]
    const suite = defineSuite({
      ...tinySuite,
      name: 'tiny-budget',
      arms: [
        { name: 'adam', tricks: schedule },
        { name: 'adam-hot', tricks: schedule, optimizer: { name: 'adam', learningRate: 0.03 }, budgetFractions: [0.5, 0.75] },
      ],
      sizes: { ...tinySuite.sizes, quick: { seeds: 3, maxSteps: 40, evalEvery: 10 } },
      target: { kind: 'fromBaseline', margin: 0.05, metric: 'loss', direction: 'min' },
    })
    const { summary, records } = await runAblation(suite, { out, backend: 'cpu', plots: false, sourceHash: 'src' })
    expect(records.filter((r) => r.kind === 'budget').map((r) => `${r.seed}@${r.maxSteps}`).sort()).toEqual(['1@20', '1@30', '2@20', '2@30', '3@20', '3@30'])
    const b = summary!.budgetMatched
    expect(b).toHaveLength(1)
    expect(b[0]).toMatchObject({ arm: 'adam-hot', budgets: [20, 30, 40], baselineBudget: 40, metric: 'loss' })
    expect(b[0]!.perSeed).toHaveLength(3)
    expect(b[0]!.speedup.n).toBeGreaterThan(0)
    expect(['faster', 'slower', 'no difference detected', 'inconclusive']).toContain(b[0]!.verdict.word)
    // steps-to-target rows read only the full-budget runs
    expect(summary!.arms.find((a) => a.arm === 'adam-hot')!.runs).toBe(3)
    expect(readFileSync(join(out, 'tiny-budget', 'report.md'), 'utf8')).toMatch(/## Budget-matched speed-ups[\s\S]*\| adam-hot \| 20, 30, 40 \| 40 \|/)
  })
})
