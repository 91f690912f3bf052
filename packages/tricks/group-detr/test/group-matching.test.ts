import { describe, expect, it } from 'vitest'
import { createRng } from '@converge/core'
import { groupMatch, hungarian } from '../src/index.js'

describe('groupMatch', () => {
  it('returns K·N pairs, each ground truth once per group, query indices inside the group slice', () => {
    const rng = createRng('group-match')
    const Q = 5
    const K = 4
    for (const N of [0, 1, 3, 5]) {
      const cost = Array.from({ length: K * Q * N }, () => rng.next())
      const ms = groupMatch(cost, Q, K, N)
      expect(ms).toHaveLength(K * N)
      for (let g = 0; g < K; g++) {
        const inGroup = ms.filter((m) => m.query >= g * Q && m.query < (g + 1) * Q)
        expect(inGroup.map((m) => m.target).sort()).toEqual(Array.from({ length: N }, (_, i) => i))
        expect(new Set(inGroup.map((m) => m.query)).size).toBe(N)
        // each group's pairs are that slice's own optimum
        const slice = cost.slice(g * Q * N, (g + 1) * Q * N)
        expect(inGroup.map((m) => ({ query: m.query - g * Q, target: m.target }))).toEqual(hungarian(slice, Q, N))
      }
    }
  })

  it('matches per group even where one global matching would take both positives from one group', () => {
    // 2 groups × 2 queries, 1 object: group 0 has the two cheapest queries overall
    const cost = [0.1, 0.2, 5, 3]
    expect(groupMatch(cost, 2, 2, 1)).toEqual([
      { query: 0, target: 0 },
      { query: 3, target: 0 },
    ])
  })

  it('rejects a cost of the wrong size', () => {
    expect(() => groupMatch([1, 2, 3], 2, 2, 1)).toThrow(/expected 2·2×1/)
  })
})
