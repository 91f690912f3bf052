import { describe, expect, it } from 'vitest'
import { createRng } from '@converge/core'
import { signedRankCdf, signedRankInterval, signedRankK, walshAverages } from '../src/signed-rank.js'

/** P(T⁺ = t) by enumerating all 2ⁿ sign assignments of ranks 1..n. */
function bruteForcePmf(n: number): number[] {
  const max = (n * (n + 1)) / 2
  const counts = new Array<number>(max + 1).fill(0)
  for (let mask = 0; mask < 1 << n; mask++) {
    let t = 0
    for (let r = 1; r <= n; r++) if (mask & (1 << (r - 1))) t += r
    counts[t] = (counts[t] ?? 0) + 1
  }
  return counts.map((c) => c / 2 ** n)
}

describe('signed-rank null distribution', () => {
  it.each([1, 2, 3, 5, 8, 12])('matches enumeration of every sign assignment at n = %i', (n) => {
    const pmf = bruteForcePmf(n)
    const cdf = signedRankCdf(n)
    let sum = 0
    pmf.forEach((p, t) => {
      sum += p
      expect(cdf[t]).toBeCloseTo(sum, 12)
    })
  })
  it('gives the tabled two-sided 5% critical values (k = critical value + 1)', () => {
    // Critical values of T for two-sided α = 0.05: n 6 → 0, 7 → 2, 8 → 3, 10 → 8, 20 → 52, 30 → 137.
    expect(signedRankK(6, 0.95)).toEqual({ k: 1, coverage: 1 - 2 / 64 })
    expect(signedRankK(7, 0.95).k).toBe(3)
    expect(signedRankK(8, 0.95).k).toBe(4)
    expect(signedRankK(10, 0.95).k).toBe(9)
    expect(signedRankK(20, 0.95).k).toBe(53)
    expect(signedRankK(30, 0.95).k).toBe(138)
    expect(signedRankK(3, 0.95)).toEqual({ k: 1, coverage: 0.75 })
  })
})

describe('Hodges–Lehmann estimate and interval', () => {
  it('takes the median of the Walsh averages', () => {
    expect([...walshAverages([1, 2, 3])]).toEqual([1, 1.5, 2, 2, 2.5, 3])
    expect(signedRankInterval([1, 2, 3], [1, 2, 3], 0.95)).toMatchObject({ estimateLow: 2, estimateHigh: 2, low: 1, high: 3, k: 1, coverage: 0.75 })
  })

  it('is the set of centres the signed-rank test does not reject (test inversion, checked on a grid)', () => {
    const rng = createRng('inversion')
    const d = Array.from({ length: 9 }, () => 0.3 + 0.5 * rng.normal())
    const r = signedRankInterval(d, d, 0.95)
    const m = (9 * 10) / 2
    const tPlus = (theta: number) => {
      const dev = d.map((x) => x - theta)
      const order = dev.map((x, i) => ({ a: Math.abs(x), i })).sort((p, q) => p.a - q.a)
      let t = 0
      order.forEach((o, rank) => {
        if ((dev[o.i] as number) > 0) t += rank + 1
      })
      return t
    }
    for (let theta = -1.5; theta <= 2; theta += 0.001) {
      const t = tPlus(theta)
      const accepted = t >= r.k && t <= m - r.k
      if (theta > r.low + 1e-9 && theta < r.high - 1e-9) expect(accepted).toBe(true)
      if (theta < r.low - 1e-9 || theta > r.high + 1e-9) expect(accepted).toBe(false)
    }
  })

  it('with per-pair bounds contains the interval of any values inside the bounds', () => {
    const rng = createRng('bounds')
    for (let trial = 0; trial < 200; trial++) {
      const n = 4 + rng.int(12)
      const lows: number[] = []
      const highs: number[] = []
      const inside: number[] = []
      for (let i = 0; i < n; i++) {
        const lo = rng.normal()
        const hi = rng.next() < 0.3 ? lo + rng.next() : lo
        lows.push(lo)
        highs.push(hi)
        inside.push(lo + (hi - lo) * rng.next())
      }
      const bounded = signedRankInterval(lows, highs, 0.95)
      const exact = signedRankInterval(inside, inside, 0.95)
      expect(bounded.low).toBeLessThanOrEqual(exact.low)
      expect(bounded.high).toBeGreaterThanOrEqual(exact.high)
      expect(bounded.estimateLow).toBeLessThanOrEqual(exact.estimateLow)
      expect(bounded.estimateHigh).toBeGreaterThanOrEqual(exact.estimateHigh)
    }
  })
})
