import { describe, expect, it } from 'vitest'
import { ConfigError, createRng } from '@converge/core'
import { backwardCorrect, forwardWeights } from '../src/corrections.js'
import { checkRates } from '../src/rates.js'

/** Passes clean rewards through a class-conditional channel. */
function channel(clean: number[], rho0: number, rho1: number, seed: string): Float32Array {
  const rng = createRng(seed)
  return Float32Array.from(clean, (c) => (c === 1 ? (rng.next() < rho1 ? 0 : 1) : rng.next() < rho0 ? 1 : 0))
}

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x, 0) / xs.length

describe('backward correction', () => {
  it('is unbiased for the clean reward, given the clean reward (Monte Carlo)', () => {
    const n = 200_000
    for (const [rho0, rho1] of [[0.1, 0.3], [0.2, 0.4], [0, 0.25]] as const) {
      for (const c of [0, 1]) {
        const noisy = channel(Array(n).fill(c), rho0, rho1, `mc-${rho0}-${rho1}-${c}`)
        const corrected = backwardCorrect(noisy, { rho0, rho1 })
        // Standard error of the mean: (value spread) / sqrt(n) ≈ 1/(1−ρ0−ρ1)/sqrt(n) ≈ 0.006 at worst.
        expect(Math.abs(mean(corrected) - c)).toBeLessThan(0.02)
      }
    }
  })
  it('maps 0 and 1 to the documented values', () => {
    const [lo, hi] = backwardCorrect([0, 1], { rho0: 0.2, rho1: 0.4 })
    expect(lo).toBeCloseTo(-0.2 / 0.4)
    expect(hi).toBeCloseTo(0.8 / 0.4)
  })
})

describe('forward correction', () => {
  it('has weights ρ1 and ρ1 − 1', () => {
    expect(Array.from(forwardWeights([1, 0], 0.3))).toEqual([expect.closeTo(0.3, 6), expect.closeTo(-0.7, 6)])
  })
  it('in expectation is a positive multiple (1 − ρ0 − ρ1) of the clean signal', () => {
    const n = 200_000
    const [rho0, rho1] = [0.1, 0.3]
    const e = (c: number) => mean(forwardWeights(channel(Array(n).fill(c), rho0, rho1, `fw-${c}`), rho1))
    // E[w | R*=1] = 0 and E[w | R*=0] = −(1 − ρ0 − ρ1): the difference, the signal, is 1 − ρ0 − ρ1 > 0.
    expect(Math.abs(e(1))).toBeLessThan(0.01)
    expect(e(0)).toBeCloseTo(-(1 - rho0 - rho1), 2)
    expect(e(1) - e(0)).toBeCloseTo(1 - rho0 - rho1, 2)
  })
})

describe('rates', () => {
  it('reject rates outside [0, 0.5) and rho0 + rho1 >= 1', () => {
    expect(() => checkRates({ rho0: 0.5, rho1: 0 })).toThrow(/rho0: got 0.5; expected a rate in \[0, 0.5\)/)
    expect(() => checkRates({ rho0: 0, rho1: -0.1 })).toThrow(ConfigError)
    expect(() => checkRates({ rho0: Number.NaN, rho1: 0 })).toThrow(/rho0: got NaN/)
    expect(() => backwardCorrect([1], { rho0: 0.1, rho1: 0.6 })).toThrow(/rho1: got 0.6/)
    expect(() => forwardWeights([1], 0.7)).toThrow(/rho1: got 0.7/)
  })
})
