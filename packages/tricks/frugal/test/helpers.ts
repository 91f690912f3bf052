import * as tf from '@tensorflow/tfjs'
import { createRng, type Rng } from '@converge/core'

let counter = 0

/** Fresh variables with unique names `<prefix><n>/<local>`, filled from a seeded stream. */
export function makeVariables(shapes: Record<string, number[]>, seed = 'vars', prefix = 't'): tf.Variable[] {
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

/** A copy of `vars` (same values, same local names) under a new prefix. */
export function cloneVariables(vars: readonly tf.Variable[], prefix = 'c'): tf.Variable[] {
  const id = ++counter
  return vars.map((v) => tf.variable(v, true, `${prefix}${id}/${localName(v.name)}`))
}

export const localName = (name: string): string => name.slice(name.indexOf('/') + 1)

/** One seeded gradient per variable, keyed by local name (the same numbers for copies of a model). */
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

export const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => {
  const x = a.dataSync()
  const y = b.dataSync()
  let m = 0
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] as number) - (y[i] as number)))
  return m
}

export const values = (t: tf.Tensor): number[] => Array.from(t.dataSync())
