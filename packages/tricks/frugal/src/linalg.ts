import type { Rng } from '@converge/core'

/**
 * Small dense linear algebra on row-major Float64Arrays, for the subspace refresh. tfjs has no SVD
 * (`tf.linalg` offers only qr, gramSchmidt and bandPart), and the refresh runs once every T steps,
 * so it is done here in plain JS on `dataSync()` copies, in float64, from a seeded stream.
 */

/** C (m×n) = A (m×k) · B (k×n). */
export function matMul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n)
  for (let i = 0; i < m; i++) {
    const ci = i * n
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!
      if (aip === 0) continue
      const bp = p * n
      for (let j = 0; j < n; j++) c[ci + j]! += aip * b[bp + j]!
    }
  }
  return c
}

/** C (k×n) = Aᵀ · B for A (m×k), B (m×n). */
export function matMulTransposeA(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(k * n)
  for (let i = 0; i < m; i++) {
    const bi = i * n
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!
      if (aip === 0) continue
      const cp = p * n
      for (let j = 0; j < n; j++) c[cp + j]! += aip * b[bi + j]!
    }
  }
  return c
}

/** The transpose (n×m) of a row-major m×n matrix. */
export function transpose(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n)
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!
  return t
}

/** A rows×cols matrix of independent N(0, 1) draws. */
export function gaussian(rows: number, cols: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => rng.normal())
}

/**
 * Orthonormalises the columns of Q (rows×cols, cols ≤ rows) in place by modified Gram–Schmidt with
 * one re-orthogonalisation pass. A column that is (numerically) in the span of the earlier ones —
 * an all-zero or rank-deficient input — is replaced by a fresh random direction, so the result is
 * always a full orthonormal set.
 */
export function orthonormalizeColumns(q: Float64Array, rows: number, cols: number, rng: Rng): Float64Array {
  if (cols > rows) throw new RangeError(`orthonormalizeColumns: ${cols} columns cannot be orthonormal in ${rows} dimensions`)
  const col = new Float64Array(rows)
  for (let j = 0; j < cols; j++) {
    for (let i = 0; i < rows; i++) col[i] = q[i * cols + j]!
    let original = norm(col)
    for (let attempt = 0; ; attempt++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) {
          let dot = 0
          for (let i = 0; i < rows; i++) dot += q[i * cols + p]! * col[i]!
          for (let i = 0; i < rows; i++) col[i]! -= dot * q[i * cols + p]!
        }
      }
      const n = norm(col)
      // Degenerate: nothing left, or only rounding noise of what the earlier columns already span.
      if (n > 1e-10 * Math.max(original, 1e-300) && n > 1e-250) {
        for (let i = 0; i < rows; i++) q[i * cols + j] = col[i]! / n
        break
      }
      if (attempt > 8) throw new Error('orthonormalizeColumns: could not find an independent random direction')
      for (let i = 0; i < rows; i++) col[i] = rng.normal()
      original = norm(col)
    }
  }
  return q
}

function norm(v: Float64Array): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  return Math.sqrt(s)
}

/** A random rows×cols matrix with orthonormal columns (cols ≤ rows), from `rng`. */
export function randomSemiOrthogonal(rows: number, cols: number, rng: Rng): Float64Array {
  return orthonormalizeColumns(gaussian(rows, cols, rng), rows, cols, rng)
}

/**
 * Eigen-decomposition of a symmetric k×k matrix by cyclic Jacobi rotations. Returns eigenvalues in
 * descending order and the matching eigenvectors as the columns of a k×k row-major matrix.
 */
export function symmetricEigen(s: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(s)
  const v = new Float64Array(k * k)
  for (let i = 0; i < k; i++) v[i * k + i] = 1
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    let total = 0
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const x = a[i * k + j]! * a[i * k + j]!
        total += x
        if (i !== j) off += x
      }
    }
    if (off <= 1e-30 * Math.max(total, 1e-300) || off === 0) break
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!
        if (Math.abs(apq) < 1e-300) continue
        const theta = (a[q * k + q]! - a[p * k + p]!) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const sn = t * c
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p]!
          const arq = a[r * k + q]!
          a[r * k + p] = c * arp - sn * arq
          a[r * k + q] = sn * arp + c * arq
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r]!
          const aqr = a[q * k + r]!
          a[p * k + r] = c * apr - sn * aqr
          a[q * k + r] = sn * apr + c * aqr
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p]!
          const vrq = v[r * k + q]!
          v[r * k + p] = c * vrp - sn * vrq
          v[r * k + q] = sn * vrp + c * vrq
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((x, y) => a[y * k + y]! - a[x * k + x]! || x - y)
  const values = Float64Array.from(order, (i) => a[i * k + i]!)
  const vectors = new Float64Array(k * k)
  order.forEach((src, dst) => {
    for (let r = 0; r < k; r++) vectors[r * k + dst] = v[r * k + src]!
  })
  return { values, vectors }
}

export interface RangeFinderOptions {
  /** Extra sample directions beyond the rank (improves accuracy of the top-r subspace). */
  readonly oversample: number
  /** Power iterations (A Aᵀ)^q: sharpen the spectrum when singular values decay slowly. */
  readonly powerIterations: number
  readonly rng: Rng
}

/**
 * Approximate top-`rank` left singular vectors of A (rows×cols) by a randomized range finder
 * (Gaussian sketch, power iterations, modified Gram–Schmidt) followed by a Rayleigh–Ritz step that
 * orders the basis by singular value, as an exact SVD's leading columns would be. Returns a
 * rows×rank matrix with orthonormal columns. All-zero or low-rank inputs are completed with random
 * orthonormal directions instead of failing.
 */
export function topLeftSingularVectors(a: Float64Array, rows: number, cols: number, rank: number, o: RangeFinderOptions): Float64Array {
  if (rank < 1 || rank > rows) throw new RangeError(`topLeftSingularVectors: rank ${rank} outside 1..${rows}`)
  const k = Math.min(rows, rank + o.oversample)
  let q = orthonormalizeColumns(matMul(a, gaussian(cols, k, o.rng), rows, cols, k), rows, k, o.rng)
  const kz = Math.min(k, cols)
  for (let i = 0; i < o.powerIterations; i++) {
    // Z = Aᵀ Q spans at most `cols` dimensions; orthonormalise the part that fits, then map back.
    const z = matMulTransposeA(a, q, rows, cols, k) // Aᵀ Q, cols×k
    const zq = orthonormalizeColumns(takeColumns(z, cols, k, kz), cols, kz, o.rng)
    const y = matMul(a, zq, rows, cols, kz)
    q = orthonormalizeColumns(padColumns(y, rows, kz, k, o.rng), rows, k, o.rng)
  }
  // Rayleigh–Ritz: B = Qᵀ A (k×cols), S = B Bᵀ = Qᵀ A Aᵀ Q; rotate Q onto S's eigenvectors.
  const b = matMulTransposeA(q, a, rows, k, cols)
  const s = new Float64Array(k * k)
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let dot = 0
      for (let c = 0; c < cols; c++) dot += b[i * cols + c]! * b[j * cols + c]!
      s[i * k + j] = dot
      s[j * k + i] = dot
    }
  }
  const { vectors } = symmetricEigen(s, k)
  const rotated = matMul(q, vectors, rows, k, k)
  // Rotation keeps orthonormality up to rounding; re-orthonormalise the kept columns to be exact.
  return orthonormalizeColumns(takeColumns(rotated, rows, k, rank), rows, rank, o.rng)
}

/** The first `keep` columns of a rows×cols matrix. */
function takeColumns(a: Float64Array, rows: number, cols: number, keep: number): Float64Array {
  if (keep === cols) return a
  const out = new Float64Array(rows * keep)
  for (let i = 0; i < rows; i++) for (let j = 0; j < keep; j++) out[i * keep + j] = a[i * cols + j]!
  return out
}

/** Widens a rows×cols matrix to rows×width with random columns (orthonormalised later). */
function padColumns(a: Float64Array, rows: number, cols: number, width: number, rng: Rng): Float64Array {
  if (width === cols) return a
  const out = new Float64Array(rows * width)
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < width; j++) out[i * width + j] = j < cols ? a[i * cols + j]! : rng.normal()
  }
  return out
}
