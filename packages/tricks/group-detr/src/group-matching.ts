import type { Match } from '@converge/core'
import { linearSumAssignment } from 'linear-sum-assignment'

/**
 * Minimum-cost one-to-one matching of `objects` ground truths to `queries` predictions from a
 * row-major `[queries, objects]` cost matrix (Jonker–Volgenant via `linear-sum-assignment`, which
 * maximises unless told not to). Pairs come back ordered by object.
 */
export function hungarian(cost: ArrayLike<number>, queries: number, objects: number, offset = 0, stride = objects): Match[] {
  if (objects === 0) return []
  if (objects > queries) throw new RangeError(`cannot match ${objects} objects one-to-one with ${queries} queries`)
  const rows = Array.from({ length: queries }, (_, q) =>
    Array.from({ length: objects }, (_, o) => {
      const c = cost[offset + q * stride + o] as number
      if (!Number.isFinite(c)) throw new RangeError(`matching cost [${q}, ${o}] is ${c}`)
      return c
    }),
  )
  const { columnAssignments } = linearSumAssignment(rows, { maximaze: false })
  return Array.from(columnAssignments, (query, target) => ({ query, target }))
}

/**
 * Group DETR's matching for one image: the `[K·Q, N]` costs of all groups' queries are split into
 * K slices of Q rows, each matched one-to-one on its own, and group g's query indices offset by
 * g·Q. Every ground truth thus gets exactly K positives, one per group.
 */
export function groupMatch(cost: ArrayLike<number>, queriesPerGroup: number, groups: number, objects: number): Match[] {
  if (cost.length !== groups * queriesPerGroup * objects) throw new RangeError(`cost has ${cost.length} entries, expected ${groups}·${queriesPerGroup}×${objects}`)
  const matches: Match[] = []
  for (let g = 0; g < groups; g++) {
    for (const m of hungarian(cost, queriesPerGroup, objects, g * queriesPerGroup * objects)) matches.push({ query: g * queriesPerGroup + m.query, target: m.target })
  }
  return matches
}
