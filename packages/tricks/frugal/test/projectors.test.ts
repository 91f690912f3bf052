import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRng } from '@converge/core'
import { FrugalOptimizer, orthonormalizeColumns, randomSemiOrthogonal, symmetricEigen, topLeftSingularVectors } from '../src/index.js'
import { localName, makeVariables, randomGrads, step } from './helpers.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

/** max |QᵀQ − I| for a rows×cols row-major matrix. */
function orthonormalityError(q: ArrayLike<number>, rows: number, cols: number): number {
  let worst = 0
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) {
      let dot = 0
      for (let r = 0; r < rows; r++) dot += (q[r * cols + i] as number) * (q[r * cols + j] as number)
      worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)))
    }
  }
  return worst
}

/** ‖Q Qᵀ − U Uᵀ‖_max: distance between the subspaces spanned by two orthonormal column sets. */
function subspaceDistance(q: ArrayLike<number>, u: ArrayLike<number>, rows: number, cols: number): number {
  let worst = 0
  for (let a = 0; a < rows; a++) {
    for (let b = 0; b < rows; b++) {
      let pq = 0
      let pu = 0
      for (let c = 0; c < cols; c++) {
        pq += (q[a * cols + c] as number) * (q[b * cols + c] as number)
        pu += (u[a * cols + c] as number) * (u[b * cols + c] as number)
      }
      worst = Math.max(worst, Math.abs(pq - pu))
    }
  }
  return worst
}

describe('linear algebra for the refresh', () => {
  it('modified Gram–Schmidt gives orthonormal columns and completes degenerate inputs randomly', () => {
    const rng = createRng('mgs')
    const q = randomSemiOrthogonal(20, 6, rng)
    expect(orthonormalityError(q, 20, 6)).toBeLessThan(1e-12)
    // columns 2 and 3 repeat column 1; column 4 is zero
    const deg = new Float64Array(5 * 4)
    for (let r = 0; r < 5; r++) {
      deg[r * 4 + 0] = r + 1
      deg[r * 4 + 1] = r + 1
      deg[r * 4 + 2] = 2 * (r + 1)
    }
    orthonormalizeColumns(deg, 5, 4, rng)
    expect(orthonormalityError(deg, 5, 4)).toBeLessThan(1e-12)
    expect(() => orthonormalizeColumns(new Float64Array(6), 2, 3, rng)).toThrow(/cannot be orthonormal/)
  })

  it('Jacobi eigen-decomposition sorts eigenvalues and reconstructs the matrix', () => {
    const s = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2])
    const { values, vectors } = symmetricEigen(s, 3)
    expect(values[0]! >= values[1]! && values[1]! >= values[2]!).toBe(true)
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(9, 10) // trace
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let x = 0
        for (let k = 0; k < 3; k++) x += vectors[i * 3 + k]! * values[k]! * vectors[j * 3 + k]!
        expect(x).toBeCloseTo(s[i * 3 + j]!, 10)
      }
    }
  })

  it('the randomized range finder recovers the top singular subspace of a low-rank-plus-noise matrix', () => {
    const rng = createRng('svd')
    const rows = 30
    const cols = 12
    const u = randomSemiOrthogonal(rows, 3, rng)
    const v = randomSemiOrthogonal(cols, 3, rng)
    const sv = [10, 5, 2]
    const a = new Float64Array(rows * cols)
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let x = 0.01 * rng.normal()
        for (let k = 0; k < 3; k++) x += u[i * 3 + k]! * sv[k]! * v[j * 3 + k]!
        a[i * cols + j] = x
      }
    }
    const q = topLeftSingularVectors(a, rows, cols, 3, { oversample: 4, powerIterations: 2, rng })
    expect(orthonormalityError(q, rows, 3)).toBeLessThan(1e-10)
    expect(subspaceDistance(q, u, rows, 3)).toBeLessThan(1e-2)
    // ordered by singular value: the first column is the top singular vector (up to sign)
    let dot = 0
    for (let i = 0; i < rows; i++) dot += q[i * 3]! * u[i * 3]!
    expect(Math.abs(dot)).toBeGreaterThan(0.999)
  })

  it('an all-zero matrix gives a random orthonormal basis instead of NaN', () => {
    const q = topLeftSingularVectors(new Float64Array(8 * 5), 8, 5, 3, { oversample: 2, powerIterations: 2, rng: createRng('zero') })
    expect(q.every(Number.isFinite)).toBe(true)
    expect(orthonormalityError(q, 8, 3)).toBeLessThan(1e-12)
  })
})

describe('projectors inside the optimizer', () => {
  const shapes = { 'tall/kernel': [12, 5], 'wide/kernel': [4, 9] } // right and left projections
  for (const subspace of ['svd', 'random'] as const) {
    it(`${subspace}: bases are orthonormal on both sides, and refreshed bases stay orthonormal`, () => {
      const vars = makeVariables(shapes)
      const opt = new FrugalOptimizer({ learningRate: 0.01, subspace, density: 0.5, updateGap: 2, seed: 5 }, vars)
      const rng = createRng('p')
      for (let s = 0; s < 5; s++) {
        step(opt, vars, randomGrads(vars, rng))
        for (const v of vars) {
          const q = opt.basisOf(v.name)!
          const [rows, cols] = q.shape
          // tall 12×5: right side, basis 5×round(2.5)=5×3; wide 4×9: left side, basis 4×2
          expect(q.shape).toEqual(localName(v.name) === 'tall/kernel' ? [5, 3] : [4, 2])
          expect(orthonormalityError(q.dataSync(), rows, cols)).toBeLessThan(1e-5)
          q.dispose()
        }
      }
      opt.dispose()
      tf.dispose(vars)
    })
  }

  it('svd: the basis spans the gradient’s top right singular vectors', () => {
    const vars = makeVariables({ 'w/kernel': [10, 6] })
    const opt = new FrugalOptimizer({ learningRate: 0.01, subspace: 'svd', density: 1 / 3, seed: 5 }, vars) // rank 2
    const rng = createRng('lowrank')
    const vTrue = Float32Array.from({ length: 6 * 2 }, () => 0)
    const basis = randomSemiOrthogonal(6, 2, rng)
    vTrue.set(basis)
    // G = X Vᵀ with X 10×2: its row space is span(V)
    const x = Float32Array.from({ length: 20 }, () => rng.normal())
    const g = new Float32Array(60)
    for (let i = 0; i < 10; i++) for (let j = 0; j < 6; j++) g[i * 6 + j] = x[i * 2]! * vTrue[j * 2]! + x[i * 2 + 1]! * vTrue[j * 2 + 1]!
    step(opt, vars, { 'w/kernel': g })
    const q = opt.basisOf(vars[0]!.name)!
    expect(subspaceDistance(q.dataSync(), vTrue, 6, 2)).toBeLessThan(1e-4)
    q.dispose()
    opt.dispose()
    tf.dispose(vars)
  })

  it('svd: an all-zero gradient at a refresh falls back to a random orthonormal basis, and training continues', () => {
    const vars = makeVariables({ 'w/kernel': [8, 6] })
    const opt = new FrugalOptimizer({ learningRate: 0.01, subspace: 'svd', density: 0.5, seed: 5 }, vars)
    step(opt, vars, { 'w/kernel': new Float32Array(48) })
    const q = opt.basisOf(vars[0]!.name)!
    expect(orthonormalityError(q.dataSync(), 6, 3)).toBeLessThan(1e-5)
    step(opt, vars, randomGrads(vars, createRng('after')))
    expect(Array.from(vars[0]!.dataSync()).every(Number.isFinite)).toBe(true)
    q.dispose()
    opt.dispose()
    tf.dispose(vars)
  })

  it('columns and randk select ⌊ρ·n⌋ distinct sorted indices, new ones at each refresh, reproducibly from the seed', () => {
    const run = (seed: number) => {
      const vars = makeVariables({ 'w/kernel': [6, 10] })
      const cols = new FrugalOptimizer({ learningRate: 0.01, subspace: 'columns', density: 0.35, updateGap: 1, seed }, vars)
      const entries = new FrugalOptimizer({ learningRate: 0.01, subspace: 'randk', density: 0.35, updateGap: 1, seed }, vars)
      const seen: number[][] = []
      const rng = createRng('idx')
      for (let s = 0; s < 3; s++) {
        const g = randomGrads(vars, rng)
        step(cols, vars, g)
        step(entries, vars, g)
        seen.push(Array.from(cols.indicesOf(vars[0]!.name)!), Array.from(entries.indicesOf(vars[0]!.name)!))
      }
      cols.dispose()
      entries.dispose()
      tf.dispose(vars)
      return seen
    }
    const a = run(11)
    expect(a[0]!.length).toBe(3) // ⌊0.35·10⌋
    expect(a[1]!.length).toBe(21) // ⌊0.35·60⌋
    for (const idx of a) {
      expect(new Set(idx).size).toBe(idx.length)
      expect([...idx].sort((x, y) => x - y)).toEqual(idx)
    }
    expect(a[0]).not.toEqual(a[2])
    expect(run(11)).toEqual(a)
    expect(run(12)).not.toEqual(a)
  })
})
