import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { defineSuite } from '@converge/core/suite'
import { choosePairs, validatePairs } from '../src/pairs-auto.js'
import { minimumDetectableSpeedup } from '../src/power.js'
import { runAblation } from '../src/runner.js'
import { tinySuite } from './fixtures/tiny-suite.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe("pairs: 'auto'", () => {
  it('runs the fewest pairs that detect the effect at the pilot spread, within [6, cap]', () => {
    const c = choosePairs(0.25, 4, 1.25, 30, [1001, 1002])
    expect(c.pairs).toBeGreaterThan(6)
    expect(minimumDetectableSpeedup('signed-rank', c.pairs, 0.25)).toBeLessThanOrEqual(1.25)
    expect(minimumDetectableSpeedup('signed-rank', c.pairs - 1, 0.25)).toBeGreaterThan(1.25)
    expect(c.reason).toMatch(/pilot log-ratio sd 0\.250 on tuning seeds 1001, 1002: \d+ pairs detect 1\.25x/)
    // below 6 pairs no interval reaches 95%: a tiny spread still runs 6
    expect(choosePairs(0.01, 4, 1.25, 30, [1001, 1002]).pairs).toBe(6)
    expect(choosePairs(0.6, 4, 1.25, 12, [1001, 1002])).toMatchObject({ pairs: 12, reason: expect.stringMatching(/cannot detect 1\.25x .*ran the cap/) })
    expect(choosePairs(null, 1, 1.25, 8, [1001, 1002])).toMatchObject({ pairs: 8, reason: expect.stringMatching(/no spread/) })
  })

  it('validates pairs and detect before any run', () => {
    const cfg = { seeds: 10, maxSteps: 10, evalEvery: 5 }
    expect(() => validatePairs('s', 'quick', { ...cfg, pairs: 'many' as 'auto' })).toThrow(/sizes\.quick\.pairs must be 'auto'.*"many"/)
    expect(() => validatePairs('s', 'quick', { ...cfg, pairs: 'auto', detect: 0.9 })).toThrow(/detect must be a speed-up above 1.*0\.9/)
    expect(() => validatePairs('s', 'quick', { ...cfg, detect: 1.3 })).toThrow(/only with pairs: 'auto'/)
    expect(() => validatePairs('s', 'quick', { ...cfg, seeds: 5, pairs: 'auto' })).toThrow(/at least 6/)
    expect(() => validatePairs('s', 'quick', { ...cfg, pairs: 'auto', detect: 1.3 })).not.toThrow()
  })

  it('pilots every arm on the tuning seeds, then runs the pairs it chose and reports why', async () => {
    const out = mkdtempSync(join(tmpdir(), 'converge-pairs-'))
    dirs.push(out)
    const suite = defineSuite({
      ...tinySuite,
      name: 'tiny-auto',
      arms: [tinySuite.arms[0]!, { name: 'adam-hot', tricks: () => [], optimizer: { name: 'adam', learningRate: 0.03 } }],
      sizes: { ...tinySuite.sizes, quick: { seeds: 7, maxSteps: 30, evalEvery: 10, pairs: 'auto', detect: 1.5 } },
    })
    const { summary, tuningRecords } = await runAblation(suite, { out, backend: 'cpu', plots: false, sourceHash: 'src' })
    const choice = summary!.pairsChoice!
    expect(choice).toMatchObject({ mode: 'auto', effect: 1.5, cap: 7, pilotSeeds: [1001, 1002] })
    expect(summary!.seeds).toHaveLength(choice.pairs)
    expect(choice.pairs).toBeGreaterThanOrEqual(6)
    expect(choice.pairs).toBeLessThanOrEqual(7)
    // the pilot: both arms on both tuning seeds (no tuning grid here)
    expect(tuningRecords).toHaveLength(0)
    // --seeds names the pairs outright: no pilot, no choice (the runs are cached)
    const again = await runAblation(suite, { out, backend: 'cpu', plots: false, sourceHash: 'src', seeds: 2 })
    expect(again.summary!.pairsChoice).toBeNull()
    expect(again.summary!.seeds).toEqual([1, 2])
  })
})
