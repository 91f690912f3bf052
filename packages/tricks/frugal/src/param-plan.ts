import { ConfigError, routeParameters, type AdamReason, type ParamInfo } from '@converge/core'
import type { ResolvedFrugalSettings, Subspace } from './options.js'

export type { ParamInfo }

/** FRUGAL's wording for why a variable stays on Adam (its options are named project/keepAdam). */
const REASONS: Record<AdamReason, (p: ParamInfo) => string> = {
  vector: () => '1-D (projectVectors is off)',
  'higher-rank': (p) => `${p.shape.length}-D`,
  'always-adam': () => 'matches keepAdam',
  'not-included': () => 'does not match project',
  'head-by-shape': () => 'last matrix, taken as the output head (headByShape)',
}

/** How one variable is optimized. */
export type ParamPlan =
  | { readonly name: string; readonly shape: readonly number[]; readonly role: 'adam'; readonly reason: string }
  | ProjectedPlan

export interface ProjectedPlan {
  readonly name: string
  readonly shape: readonly number[]
  readonly role: 'projected'
  readonly subspace: Subspace
  /** The variable viewed as a matrix (1-D variables become 1×n). */
  readonly rows: number
  readonly cols: number
  /** svd/random: which side the orthonormal basis acts on, and its rank. */
  readonly side: 'left' | 'right'
  readonly rank: number
  /** columns: how many columns get Adam state; randk: how many entries. */
  readonly selected: number
}

/** Which variables are projected and which stay on Adam, and the per-variable sizes of the state-full part. */
export interface Plan {
  readonly params: readonly ParamPlan[]
  /** subspace 'blocks': tensors active at once (0 otherwise). */
  readonly activeBlocks: number
}

/**
 * Splits variables into projectable ones (2-D — or 1-D with `projectVectors` — matching `project`
 * and not `keepAdam`) and always-Adam ones, and sizes each projectable weight's state-full part
 * from the density, as the reference implementation does: rank = round(ρ · smaller side) for
 * svd/random (the larger side when forced), ⌊ρ · cols⌋ columns, ⌊ρ · rows · cols⌋ entries, and
 * round(ρ · #tensors) active blocks.
 */
export function planParameters(params: readonly ParamInfo[], s: ResolvedFrugalSettings): Plan {
  const routes = routeParameters(params, { include: s.project, alwaysAdam: s.keepAdam, vectors: s.projectVectors, headByShape: s.headByShape })
  const plans: ParamPlan[] = routes.map((r): ParamPlan => {
    if (r.role === 'adam') return { name: r.name, shape: r.shape, role: 'adam', reason: REASONS[r.reason](r) }
    const { rows, cols } = r
    const side = s.projectionSide === 'std' ? (rows >= cols ? 'right' : 'left') : s.projectionSide
    const sideDim = side === 'right' ? cols : rows
    const selected = s.subspace === 'columns' ? floorShare(s.density, cols) : s.subspace === 'randk' ? floorShare(s.density, rows * cols) : 0
    return {
      name: r.name,
      shape: r.shape,
      role: 'projected',
      subspace: s.subspace,
      rows,
      cols,
      side,
      rank: s.subspace === 'svd' || s.subspace === 'random' ? Math.round(s.density * sideDim) : 0,
      selected,
    }
  })
  const projected = plans.filter((p) => p.role === 'projected').length
  const activeBlocks = s.subspace === 'blocks' ? Math.round(s.density * projected) : 0
  if (s.subspace === 'blocks' && s.density > 0 && projected > 0 && activeBlocks === 0) {
    throw new ConfigError(
      `frugal: density ${s.density} activates round(${s.density}·${projected}) = 0 of the ${projected} projectable tensors in subspace 'blocks'; ` +
        'raise the density, project more tensors, or use density 0 for a state-free-only run',
    )
  }
  return { params: plans, activeBlocks }
}

/** ⌊ρ·n⌋, tolerant of binary rounding (0.35·60 is 20.999… in floating point, and should give 21). */
function floorShare(density: number, n: number): number {
  return Math.floor(density * n + 1e-9)
}

export const isProjected = (p: ParamPlan): p is ProjectedPlan => p.role === 'projected'
