import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stepsToTarget, type EvalRecord } from '@converge/core'
import { defineSuite } from '@converge/core/suite'
import { consecutiveEvaluationNoise, crossingHistory, levelAt, smoothedHistory } from '../src/crossing.js'
import { loadConfig } from '../src/config.js'
import { runAblation } from '../src/runner.js'
import { tinySuite } from './fixtures/tiny-suite.js'

const hist = (values: number[]): EvalRecord[] => values.map((v, i) => ({ step: (i + 1) * 10, metrics: { loss: v, other: i }, trainMs: i }))
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('smoothed crossings', () => {
  it('a single lucky evaluation crosses raw but not under the running median of 3', () => {
    const h = hist([5, 4, 1.9, 3.5, 3, 2.2, 1.8, 1.7])
    const target = { metric: 'loss', direction: 'min' as const, value: 2 }
    expect(stepsToTarget(h, target)).toBe(30)
    expect(stepsToTarget(crossingHistory(h, 'median3', 'loss', 'min'), target)).toBe(80) // step 70: median(3, 2.2, 1.8) = 2.2; step 80: median(2.2, 1.8, 1.7)
    expect(crossingHistory(h, 'raw', 'loss', 'min')).toBe(h)
  })
  it('is causal, takes the worse value before 3 evaluations exist, and leaves other metrics alone', () => {
    const s = smoothedHistory(hist([5, 1, 3, 2]), 'loss', 'min')
    expect(s.map((r) => r.metrics.loss)).toEqual([5, 5, 3, 2])
    expect(s.map((r) => r.metrics.other)).toEqual([0, 1, 2, 3])
    expect(smoothedHistory(hist([0.1, 0.9, 0.5]), 'loss', 'max').map((r) => r.metrics.loss)).toEqual([0.1, 0.1, 0.5])
  })
  it('reads the level reached by a step and the noise between consecutive evaluations', () => {
    const h = hist([5, 4, 3, 2.5, 2.6, 2.3, 2.5, 2.2])
    expect(levelAt(h, 'raw', 'loss', 'min', 45)).toBe(2.5)
    expect(levelAt(h, 'median3', 'loss', 'min', 50)).toBe(2.6) // medians: 5, 5, 4, 3, 2.6
    // second half 2.6, 2.3, 2.5, 2.2: |changes| 0.3, 0.2, 0.3 → median 0.3
    expect(consecutiveEvaluationNoise(h, 'loss')).toBeCloseTo(0.3, 12)
  })
})

describe("target from the tuning seeds ('fromTuning')", () => {
  it('is fixed on the tuning seeds, reached by the baseline inside the budget, and reports raw crossings beside smoothed ones', async () => {
    const out = mkdtempSync(join(tmpdir(), 'converge-from-tuning-'))
    dirs.push(out)
    const suite = defineSuite({
      ...tinySuite,
      name: 'tiny-from-tuning',
      arms: [tinySuite.arms[0]!, { name: 'adam-hot', tricks: () => [], optimizer: { name: 'adam', learningRate: 0.03 } }],
      sizes: { ...tinySuite.sizes, quick: { seeds: 3, tuningSeeds: 2, maxSteps: 40, evalEvery: 10 } },
      target: { kind: 'fromTuning', atFraction: 0.65 },
      crossing: 'median3',
    })
    const { summary, tuningRecords } = await runAblation(suite, { out, backend: 'cpu', plots: false, sourceHash: 'src' })
    // the baseline ran on the tuning seeds only to set the target
    expect(tuningRecords.map((r) => `${r.arm}/${r.seed}`)).toEqual(['adam/1001', 'adam/1002'])
    expect(summary!.targetSource).toMatch(/level the tuned baseline "adam" reaches by 65% of its budget \(step 26, running median of 3\), median over 2 tuning seeds/)
    expect(summary!.tuningTarget!.target).toEqual(summary!.target)
    expect(summary!.crossing).toBe('median3')
    expect(summary!.arms.find((a) => a.arm === 'adam')!.reached).toBeGreaterThanOrEqual(2)
    expect(summary!.evaluationNoise).toMatchObject({ method: 'consecutive evaluations' })
    const hot = summary!.arms.find((a) => a.arm === 'adam-hot')!
    expect(hot.raw).not.toBeNull()
    expect(hot.raw!.stepsBySeed).toHaveLength(3)
    // a raw crossing is never later than the smoothed one
    hot.raw!.stepsBySeed.forEach((raw, i) => {
      const smooth = hot.stepsBySeed[i]
      if (smooth !== null) expect(raw).not.toBeNull()
      if (smooth !== null && raw !== null) expect(raw).toBeLessThanOrEqual(smooth as number)
    })
  })

  it('rejects a bad fraction or crossing rule before any run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'converge-from-tuning-cfg-'))
    dirs.push(dir)
    const { writeFileSync } = await import('node:fs')
    const fixture = join(import.meta.dirname, 'fixtures', 'tiny-suite.ts')
    const write = (extra: string) => {
      const file = join(dir, `c${Math.random().toString(36).slice(2)}.config.ts`)
      writeFileSync(file, `import { tinySuite } from ${JSON.stringify(fixture)}\nexport default { suites: [{ ...tinySuite, ${extra} }] }\n`)
      return file
    }
    await expect(loadConfig(write(`target: { kind: 'fromTuning', atFraction: 1.5 }`))).rejects.toThrow(/target\.atFraction must be a number in \(0, 1\] \(got 1\.5\)/)
    await expect(loadConfig(write(`crossing: 'smooth'`))).rejects.toThrow(/crossing must be 'raw' or 'median3' \(got "smooth"\)/)
  })
})
