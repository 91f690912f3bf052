import { describe, expect, it } from 'vitest'
import { createRng, type Rng } from '@converge/core'
import { pairBounds, speedupEstimate } from '../src/paired-ratio.js'

/**
 * Coverage of the bench's speed-up interval (signed-rank when every pair reached, else the sign
 * test) by seeded simulation. Per seed a shared seed effect (same init and data order in both arms),
 * then independent run-to-run noise of the same law in each arm: symmetric (normal) or skewed
 * (a centred exponential on log-steps: a long tail of slow runs). The arm takes `truth` times fewer
 * steps. With censoring, the budget cuts the slow runs (≈ 30–60% of experiments have a censored pair).
 * Each experiment states the level of the interval it used; over experiments the interval must cover
 * the true ratio at least as often as the mean stated level (minus 3 Monte Carlo standard errors).
 */
const TRUTH = 1.4
const BUDGET = 600
const SIMS = 1200

function noiseOf(rng: Rng, skewed: boolean): () => number {
  return skewed ? () => 0.3 * (-Math.log(1 - rng.next()) - 1) : () => 0.3 * rng.normal()
}

function coverage(n: number, censoring: boolean, skewed: boolean) {
  const rng = createRng(`coverage-${n}-${censoring}-${skewed}`)
  const noise = noiseOf(rng, skewed)
  const typical = censoring ? 380 : 100
  let covered = 0
  let stated = 0
  let rank = 0
  for (let s = 0; s < SIMS; s++) {
    const base: (number | null)[] = []
    const arm: (number | null)[] = []
    for (let i = 0; i < n; i++) {
      const seedEffect = typical * Math.exp(0.2 * rng.normal())
      const b = seedEffect * Math.exp(noise())
      const a = (seedEffect / TRUTH) * Math.exp(noise())
      base.push(b <= BUDGET ? b : null)
      arm.push(a <= BUDGET ? a : null)
    }
    const e = speedupEstimate(pairBounds(base, arm, BUDGET))
    stated += e.level
    if (e.method === 'signed-rank') rank++
    // An experiment where every pair was left out covers nothing: counted as a miss.
    if (e.n > 0 && e.low <= TRUTH && TRUTH <= e.high) covered++
  }
  return { covered: covered / SIMS, stated: stated / SIMS, rankShare: rank / SIMS }
}

describe('speed-up interval coverage by simulation', () => {
  const ns = [3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30]
  for (const censoring of [false, true]) {
    for (const skewed of [false, true]) {
      it(`never below its stated level: n = 3…30, ${censoring ? 'with' : 'without'} censoring, ${skewed ? 'skewed' : 'symmetric'} noise`, () => {
        for (const n of ns) {
          const c = coverage(n, censoring, skewed)
          const se = Math.sqrt((c.stated * (1 - c.stated)) / SIMS)
          expect(c.covered, `n = ${n}: covered ${c.covered}, stated ${c.stated}`).toBeGreaterThanOrEqual(c.stated - 3 * se)
          // The signed-rank interval serves where nothing is censored; censoring moves rows to the sign test.
          if (!censoring && !skewed) expect(c.rankShare).toBe(1)
          if (censoring && n >= 10) expect(c.rankShare).toBeLessThan(0.5)
        }
      })
    }
  }

  it('is narrower than the sign test from 7 uncensored pairs on (the reason to prefer it)', () => {
    const rng = createRng('width')
    let narrower = 0
    for (let s = 0; s < 200; s++) {
      const base = Array.from({ length: 10 }, () => 300 * Math.exp(0.3 * rng.normal()))
      const arm = base.map((b) => (b / TRUTH) * Math.exp(0.3 * rng.normal()))
      const e = speedupEstimate(pairBounds(base, arm, 10_000))
      expect(e.method).toBe('signed-rank')
      if (Math.log(e.high / e.low) < Math.log(e.signTest.high / e.signTest.low)) narrower++
    }
    expect(narrower).toBeGreaterThan(150)
  })
})
