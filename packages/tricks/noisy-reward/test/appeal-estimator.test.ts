import { describe, expect, it } from 'vitest'
import { ConfigError, createRng } from '@converge/core'
import { AppealEstimator } from '../src/appeal-estimator.js'

/** One simulated step: clean rewards with success p, FN-only rule verifier, an appeal judge with its own TPR/FPR. */
function simulate(est: AppealEstimator, steps: number, o: { p: number; rho1: number; tpr: number; fpr: number; n: number; seed: string }) {
  const rng = createRng(o.seed)
  for (let s = 0; s < steps; s++) {
    const clean = Array.from({ length: o.n }, () => (rng.next() < o.p ? 1 : 0))
    const observed = Float32Array.from(clean, (c) => (c === 1 && rng.next() < o.rho1 ? 0 : c))
    const appealed = est.choose(observed, rng)
    const verdicts = Float32Array.from(appealed, (i) => (clean[i] === 1 ? (rng.next() < o.tpr ? 1 : 0) : rng.next() < o.fpr ? 1 : 0))
    est.update(observed, appealed, verdicts)
  }
}

describe('appeal-based estimate of the false-negative rate', () => {
  it('converges to the true ρ1 with a perfect appeal judge', () => {
    for (const rho1 of [0.1, 0.3]) {
      const est = new AppealEstimator({ rate: 0.25, emaDecay: 0.98 })
      simulate(est, 400, { p: 0.4, rho1, tpr: 1, fpr: 0, n: 128, seed: `perfect-${rho1}` })
      expect(Math.abs(est.value - rho1)).toBeLessThan(0.03)
    }
  })
  it('corrects for an imperfect appeal judge when its TPR/FPR are given, and is biased when they are not', () => {
    const sim = { p: 0.4, rho1: 0.3, tpr: 0.9, fpr: 0.1, n: 128, seed: 'imperfect' }
    const corrected = new AppealEstimator({ rate: 0.25, emaDecay: 0.98, appealTpr: 0.9, appealFpr: 0.1 })
    simulate(corrected, 400, sim)
    expect(Math.abs(corrected.value - 0.3)).toBeLessThan(0.03)
    const naive = new AppealEstimator({ rate: 0.25, emaDecay: 0.98 })
    simulate(naive, 400, sim)
    expect(naive.value - 0.3).toBeGreaterThan(0.05) // judge false positives look like false negatives
  })
  it('appeals each observed negative with probability π and counts calls', () => {
    const est = new AppealEstimator({ rate: 0.5 })
    const rng = createRng('choose')
    const observed = new Float32Array(10_000) // all negative
    const chosen = est.choose(observed, rng)
    expect(chosen.length / 10_000).toBeCloseTo(0.5, 1)
    expect(est.choose(Float32Array.from([1, 1, 1]), rng)).toEqual([])
    est.update(observed, chosen, new Float32Array(chosen.length))
    expect(est.appealCalls).toBe(chosen.length)
  })
  it('clips to maxRate, starts at `initial`, and round-trips its state', () => {
    const est = new AppealEstimator({ rate: 1, maxRate: 0.2, initial: 0.05 })
    expect(est.value).toBe(0.05)
    est.update(Float32Array.from([0, 0, 1]), [0, 1], Float32Array.from([1, 1])) // 2 FN of 3 clean positives
    expect(est.value).toBe(0.2)
    const copy = new AppealEstimator({ rate: 1, maxRate: 0.2 })
    copy.loadState(JSON.parse(JSON.stringify(est.state())))
    expect(copy.state()).toEqual(est.state())
  })
  it('validates its options', () => {
    expect(() => new AppealEstimator({ rate: 0 })).toThrow(/rate: got 0/)
    expect(() => new AppealEstimator({ maxRate: 0.6 })).toThrow(/maxRate: got 0.6/)
    expect(() => new AppealEstimator({ appealTpr: 0.1, appealFpr: 0.2 })).toThrow(ConfigError)
    expect(() => new AppealEstimator().update([0], [0], [])).toThrow(/one verdict per appealed/)
  })
})
