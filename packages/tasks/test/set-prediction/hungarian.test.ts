import { describe, expect, it } from 'vitest'
import { createRng } from '@converge/core'
import { hungarianMatch } from '../../src/set-prediction/hungarian.js'

/** Exhaustive minimum over injective maps objects → queries (small cases only). */
function bruteForce(cost: number[], queries: number, objects: number): number {
  let best = Infinity
  const used = new Array<boolean>(queries).fill(false)
  const go = (o: number, acc: number) => {
    if (o === objects) return void (best = Math.min(best, acc))
    for (let q = 0; q < queries; q++) {
      if (used[q]) continue
      used[q] = true
      go(o + 1, acc + cost[q * objects + o]!)
      used[q] = false
    }
  }
  go(0, 0)
  return best
}

const total = (cost: number[], objects: number, ms: { query: number; target: number }[]) => ms.reduce((a, m) => a + cost[m.query * objects + m.target]!, 0)

describe('hungarianMatch', () => {
  it('square: finds the anti-diagonal optimum a greedy pick misses', () => {
    // greedy takes (0,0)=1 first, then must take (1,1)=10: total 11; optimum is 2 + 2 = 4
    const cost = [1, 2, 2, 10]
    expect(hungarianMatch(cost, 2, 2)).toEqual([
      { query: 1, target: 0 },
      { query: 0, target: 1 },
    ])
  })

  it('rectangular (more queries than objects): every object once, the cheapest queries', () => {
    // 4 queries × 2 objects
    const cost = [5, 5, 0.1, 9, 9, 0.2, 3, 3]
    expect(hungarianMatch(cost, 4, 2)).toEqual([
      { query: 1, target: 0 },
      { query: 2, target: 1 },
    ])
  })

  it('minimises, not maximises (the library default is to maximise)', () => {
    expect(hungarianMatch([0, 100, 100, 0], 2, 2)).toEqual([
      { query: 0, target: 0 },
      { query: 1, target: 1 },
    ])
  })

  it('negative costs and a single object', () => {
    expect(hungarianMatch([-1, -3, -2], 3, 1)).toEqual([{ query: 1, target: 0 }])
  })

  it('no objects gives no pairs; bad shapes and non-finite costs are errors', () => {
    expect(hungarianMatch([], 5, 0)).toEqual([])
    expect(() => hungarianMatch([1, 2, 3], 2, 2)).toThrow(/expected 2×2/)
    expect(() => hungarianMatch([1, 2], 1, 2)).toThrow(/one-to-one/)
    expect(() => hungarianMatch([1, Number.NaN], 2, 1)).toThrow(/NaN/)
  })

  it('matches the brute-force optimum on random rectangular costs', () => {
    const rng = createRng('hungarian-test')
    for (let trial = 0; trial < 60; trial++) {
      const queries = 1 + rng.int(6)
      const objects = 1 + rng.int(queries)
      const cost = Array.from({ length: queries * objects }, () => Math.round(rng.next() * 20) / 4 - 1)
      const ms = hungarianMatch(cost, queries, objects)
      expect(ms.map((m) => m.target)).toEqual(Array.from({ length: objects }, (_, i) => i))
      expect(new Set(ms.map((m) => m.query)).size).toBe(objects)
      for (const m of ms) expect(m.query).toBeLessThan(queries)
      expect(total(cost, objects, ms)).toBeCloseTo(bruteForce(cost, queries, objects), 9)
    }
  })
})
