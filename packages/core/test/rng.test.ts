import { describe, expect, it } from 'vitest'
import { createRng, SeedStreams } from '../src/index.js'

describe('seeded streams', () => {
  it('repeat for the same seed and purpose, and differ across purposes and seeds', () => {
    const a = new SeedStreams(1).stream('data')
    const b = new SeedStreams(1).stream('data')
    const xs = Array.from({ length: 5 }, () => a.next())
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs)
    expect(new SeedStreams(1).stream('init').next()).not.toBe(xs[0])
    expect(new SeedStreams(2).stream('data').next()).not.toBe(xs[0])
  })
  it('gives tfjs op seeds that are integers >= 1', () => {
    const r = createRng('x')
    for (let i = 0; i < 1000; i++) {
      const s = r.opSeed()
      expect(Number.isInteger(s) && s >= 1).toBe(true)
    }
  })
  it('draws normals with mean 0 and variance 1, and categorical draws by weight', () => {
    const r = createRng('stats')
    const n = 20000
    const xs = Array.from({ length: n }, () => r.normal())
    const mean = xs.reduce((s, x) => s + x, 0) / n
    const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(Math.abs(v - 1)).toBeLessThan(0.05)
    const counts = [0, 0, 0]
    for (let i = 0; i < n; i++) counts[r.categorical([1, 0, 3])]!++
    expect(counts[1]).toBe(0)
    expect(counts[2]! / n).toBeCloseTo(0.75, 1)
    expect(() => r.categorical([0, 0])).toThrow(/positive sum/)
  })
  it('shuffles into a permutation', () => {
    const r = createRng('shuffle')
    const p = r.shuffle([...Array(50).keys()])
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(50).keys()])
    expect(p).not.toEqual([...Array(50).keys()])
  })
})
