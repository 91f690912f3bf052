import * as tf from '@tensorflow/tfjs'
import { createRng, type Rng } from '@converge/core'

let counter = 0

/** Fresh variables with unique names `<prefix><n>/<local>`, filled from a seeded stream. */
export function makeVariables(shapes: Record<string, number[]>, seed = 'vars', prefix = 'o'): tf.Variable[] {
  const id = ++counter
  const rng = createRng(seed)
  return Object.entries(shapes).map(([local, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1)
    const value = tf.tensor(Float32Array.from({ length: size }, () => rng.normal() * 0.5), shape)
    const v = tf.variable(value, true, `${prefix}${id}/${local}`)
    value.dispose()
    return v
  })
}

export const localName = (name: string): string => name.slice(name.indexOf('/') + 1)

/** One seeded gradient per variable, keyed by local name. */
export function randomGrads(vars: readonly tf.Variable[], rng: Rng, scale = 1): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {}
  for (const v of vars) out[localName(v.name)] = Float32Array.from({ length: v.size }, () => rng.normal() * scale)
  return out
}

/** Gradient tensors for `vars` from `values` (keyed by local name); the caller disposes them. */
export function gradMap(vars: readonly tf.Variable[], values: Record<string, Float32Array>): tf.NamedTensorMap {
  const map: tf.NamedTensorMap = {}
  for (const v of vars) map[v.name] = tf.tensor(values[localName(v.name)]!, v.shape)
  return map
}

/** Applies one step with fresh gradient tensors and frees them. */
export function step(opt: tf.Optimizer, vars: readonly tf.Variable[], values: Record<string, Float32Array>): void {
  const g = gradMap(vars, values)
  opt.applyGradients(g)
  tf.dispose(Object.values(g))
}

export const values = (t: tf.Tensor): number[] => Array.from(t.dataSync())

export const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => {
  const x = a.dataSync()
  const y = b.dataSync()
  let m = 0
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)))
  return m
}

/** A rows×cols matrix with i.i.d. normal entries from a seeded stream. */
export function randomMatrix(rows: number, cols: number, seed: string): tf.Tensor2D {
  const rng = createRng(seed)
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols])
}

/**
 * Singular values of a matrix, descending, in float64: square roots of the eigenvalues of the
 * smaller Gram matrix, by cyclic Jacobi rotations (test-sized matrices only).
 */
export function singularValues(t: tf.Tensor2D): number[] {
  const [r, c] = t.shape
  const a = Float64Array.from(t.dataSync())
  const n = Math.min(r, c)
  const g = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      if (r <= c) for (let k = 0; k < c; k++) s += a[i * c + k]! * a[j * c + k]!
      else for (let k = 0; k < r; k++) s += a[k * c + i]! * a[k * c + j]!
      g[i * n + j] = s
    }
  }
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += g[p * n + q]! ** 2
    if (off < 1e-22) break
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = g[p * n + q]!
        if (Math.abs(apq) < 1e-300) continue
        const theta = (g[q * n + q]! - g[p * n + p]!) / (2 * apq)
        const t1 = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const cs = 1 / Math.sqrt(t1 * t1 + 1)
        const sn = t1 * cs
        for (let k = 0; k < n; k++) {
          const gkp = g[k * n + p]!
          const gkq = g[k * n + q]!
          g[k * n + p] = cs * gkp - sn * gkq
          g[k * n + q] = sn * gkp + cs * gkq
        }
        for (let k = 0; k < n; k++) {
          const gpk = g[p * n + k]!
          const gqk = g[q * n + k]!
          g[p * n + k] = cs * gpk - sn * gqk
          g[q * n + k] = sn * gpk + cs * gqk
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => Math.sqrt(Math.max(0, g[i * n + i]!))).sort((x, y) => y - x)
}
