import type { Match } from '@converge/core'
import { linearSumAssignment } from 'linear-sum-assignment'

/**
 * One-to-one minimum-cost matching of `queries` predictions to `objects` ground truths (DETR's
 * Hungarian matching), from a row-major `[queries, objects]` cost matrix. Every object gets exactly
 * one query when `objects ≤ queries`; the pairs come back ordered by object.
 *
 * Solved by `linear-sum-assignment` (mljs): Jonker–Volgenant shortest augmenting paths on
 * rectangular matrices, the algorithm behind SciPy's `linear_sum_assignment` that DETR calls.
 * Its default is to *maximise*; we always pass `maximaze: false` (sic).
 */
export function hungarianMatch(cost: ArrayLike<number>, queries: number, objects: number): Match[] {
  if (cost.length !== queries * objects) throw new RangeError(`cost has ${cost.length} entries, expected ${queries}×${objects}`)
  if (objects > queries) throw new RangeError(`cannot match ${objects} objects one-to-one with ${queries} queries`)
  if (objects === 0) return []
  const rows: number[][] = []
  for (let q = 0; q < queries; q++) {
    const row: number[] = []
    for (let o = 0; o < objects; o++) {
      const c = cost[q * objects + o] as number
      if (!Number.isFinite(c)) throw new RangeError(`matching cost [${q}, ${o}] is ${c}`)
      row.push(c)
    }
    rows.push(row)
  }
  const { columnAssignments } = linearSumAssignment(rows, { maximaze: false })
  return Array.from(columnAssignments, (query, target) => {
    if (query < 0) throw new Error(`linear-sum-assignment left object ${target} unmatched`)
    return { query, target }
  })
}
