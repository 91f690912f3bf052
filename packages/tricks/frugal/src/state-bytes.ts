import type { ParamInfo, ParamPlan, Plan } from './param-plan.js'

/** float32 moments and projectors, int32 indices: 4 bytes per element. */
export const BYTES_PER_ELEMENT = 4

/** Persistent optimizer state, in bytes, split by what holds it. */
export interface StateBytes {
  /** Adam first and second moments (state-full subspaces and always-Adam parameters). */
  readonly moments: number
  /** Orthonormal bases of svd/random projectors. */
  readonly projectors: number
  /** Selected column / entry indices (int32) of columns/randk projectors. */
  readonly indices: number
  /** moments + projectors + indices. */
  readonly total: number
}

export interface ParamStateBytes extends StateBytes {
  readonly name: string
  readonly role: 'adam' | 'projected'
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

export const sumBytes = (parts: readonly StateBytes[]): StateBytes => {
  const moments = parts.reduce((a, p) => a + p.moments, 0)
  const projectors = parts.reduce((a, p) => a + p.projectors, 0)
  const indices = parts.reduce((a, p) => a + p.indices, 0)
  return { moments, projectors, indices, total: moments + projectors + indices }
}

/** Adam keeps m and v for every element. (tfjs's Adam also holds two scalar β-power variables: 8 bytes.) */
export function adamStateBytes(params: readonly ParamInfo[]): StateBytes {
  const moments = params.reduce((a, p) => a + 2 * numel(p.shape) * BYTES_PER_ELEMENT, 0)
  return { moments, projectors: 0, indices: 0, total: moments }
}

/**
 * State of one parameter by the formulas of the method (W ∈ ℝ^{m×n}, ρ the density):
 * always-Adam 2mn; svd/random right-projected 2·m·r + n·r (basis), left 2·r·n + m·r; columns
 * 2·m·k + k int32 indices (k = ⌊ρn⌋); randk 2K + K indices (K = ⌊ρmn⌋); blocks 2mn while the
 * tensor is active, else 0; the state-free remainder holds nothing. `active` only matters for blocks.
 */
export function paramStateBytes(p: ParamPlan, active = true): ParamStateBytes {
  const b = BYTES_PER_ELEMENT
  const out = (moments: number, projectors: number, indices: number): ParamStateBytes => ({
    name: p.name,
    role: p.role,
    moments: moments * b,
    projectors: projectors * b,
    indices: indices * b,
    total: (moments + projectors + indices) * b,
  })
  if (p.role === 'adam') return out(2 * numel(p.shape), 0, 0)
  switch (p.subspace) {
    case 'svd':
    case 'random': {
      if (p.rank === 0) return out(0, 0, 0)
      return p.side === 'right' ? out(2 * p.rows * p.rank, p.cols * p.rank, 0) : out(2 * p.rank * p.cols, p.rows * p.rank, 0)
    }
    case 'columns':
      return out(2 * p.rows * p.selected, 0, p.selected)
    case 'randk':
      return out(2 * p.selected, 0, p.selected)
    case 'blocks':
      return active ? out(2 * p.rows * p.cols, 0, 0) : out(0, 0, 0)
  }
}

/**
 * The state a plan holds once allocated. For subspace 'blocks' it depends on which tensors are
 * active: this returns the worst case (the `activeBlocks` largest tensors active at once), which
 * is the peak for random order; a known active set can be passed instead.
 */
export function planStateBytes(plan: Plan, activeNames?: ReadonlySet<string>): StateBytes {
  let active = activeNames
  if (!active && plan.activeBlocks > 0) {
    const blocks = plan.params.filter((p) => p.role === 'projected')
    const largest = [...blocks].sort((a, b) => numel(b.shape) - numel(a.shape)).slice(0, plan.activeBlocks)
    active = new Set(largest.map((p) => p.name))
  }
  return sumBytes(plan.params.map((p) => paramStateBytes(p, active ? active.has(p.name) : true)))
}
