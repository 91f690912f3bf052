import { ConfigError } from './errors.js'

/**
 * Parameter routing for optimizers that treat weight matrices specially (FRUGAL's projections,
 * Muon/ROOT's orthogonalized updates): which variables are hidden matrices and which stay on a
 * plain elementwise optimizer (embeddings, the output head, norm gains, biases).
 */

/** A variable as the router sees it. */
export interface ParamInfo {
  readonly name: string
  readonly shape: readonly number[]
}

/**
 * Names that stay on Adam by default: any path segment containing embed, position, norm, head or
 * logits (e.g. `embedding`, `positions`, `layer1/attn_norm/gain`, `head/kernel`), and one
 * containing output unless it sits under `attn/` or `attention/` (`output/kernel` is a head; a
 * transformer's `layer0/attn/output/kernel` is the attention's output projection, a hidden matrix).
 */
export const DEFAULT_ALWAYS_ADAM = '(^|/)[^/]*(embed|position|norm|head|logits)[^/]*(/|$)|(^|/)(?<!(attn|attention)/)[^/]*output[^/]*(/|$)'

/** Names that mark an output head (a subset of the default always-Adam names). */
const HEAD_NAME = /(^|\/)[^/]*(head|logits|output)[^/]*(\/|$)/

export interface RoutingOptions {
  /** Regular expression: only variables whose name matches may be routed as matrices. Default: all. */
  readonly include?: string
  /** Regular expression: matching variables always stay elementwise. Default `DEFAULT_ALWAYS_ADAM`. */
  readonly alwaysAdam?: string
  /** Route 1-D variables (biases, gains) that pass the patterns as 1×n matrices. Default false. */
  readonly vectors?: boolean
  /**
   * Route ≥3-D kernels (tfjs conv kernels [kh, kw, in, out]) as [kh·kw·in, out] matrices, the
   * [in, out] layout of a dense kernel. Default false: they stay elementwise.
   */
  readonly flattenKernels?: boolean
  /**
   * When no variable's name marks an output head (head, logits, output), treat the last
   * matrix-shaped variable in variable order as the head. A tf.LayersModel lists its weights in
   * layer order, so this finds `dense_Dense3/kernel` of a `tf.sequential` classifier. Default false.
   */
  readonly headByShape?: boolean
}

/** Why a variable stays elementwise. */
export type AdamReason = 'vector' | 'higher-rank' | 'always-adam' | 'not-included' | 'head-by-shape'

export type ParamRoute =
  | { readonly name: string; readonly shape: readonly number[]; readonly role: 'adam'; readonly reason: AdamReason }
  | MatrixRoute

export interface MatrixRoute {
  readonly name: string
  readonly shape: readonly number[]
  readonly role: 'matrix'
  /** The variable viewed as a matrix: [in, out] for dense kernels; 1-D → 1×n; ≥3-D → [∏ leading dims, last]. */
  readonly rows: number
  readonly cols: number
}

/** Routes every variable, keeping the input order. Throws on an invalid regular expression. */
export function routeParameters(params: readonly ParamInfo[], options: RoutingOptions = {}): ParamRoute[] {
  const include = compile(options.include ?? '.*', 'include')
  const alwaysAdam = compile(options.alwaysAdam ?? DEFAULT_ALWAYS_ADAM, 'alwaysAdam')
  const shapeOk = (p: ParamInfo) => p.shape.length === 2 || (p.shape.length === 1 && !!options.vectors) || (p.shape.length >= 3 && !!options.flattenKernels)
  let headIndex = -1
  if (options.headByShape && !params.some((p) => HEAD_NAME.test(p.name))) {
    for (let i = params.length - 1; i >= 0; i--) {
      if (params[i]!.shape.length >= 2 && shapeOk(params[i]!)) {
        headIndex = i
        break
      }
    }
  }
  return params.map((p, i): ParamRoute => {
    const rank = p.shape.length
    const adam = (reason: AdamReason): ParamRoute => ({ name: p.name, shape: p.shape, role: 'adam', reason })
    if (!shapeOk(p)) return adam(rank <= 1 ? 'vector' : 'higher-rank')
    if (alwaysAdam.test(p.name)) return adam('always-adam')
    if (!include.test(p.name)) return adam('not-included')
    if (i === headIndex) return adam('head-by-shape')
    const cols = p.shape[rank - 1] as number
    const rows = rank === 1 ? 1 : p.shape.slice(0, -1).reduce((a, b) => a * b, 1)
    return { name: p.name, shape: p.shape, role: 'matrix', rows, cols }
  })
}

export const isMatrixRoute = (r: ParamRoute): r is MatrixRoute => r.role === 'matrix'

function compile(pattern: string, what: string): RegExp {
  try {
    return new RegExp(pattern)
  } catch {
    throw new ConfigError(`parameter routing: ${what} "${pattern}" is not a valid regular expression`)
  }
}
