/**
 * Fréchet distance between two Gaussians fitted to feature sets (the FID formula):
 * ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½). Plain JS; features are small (tens of dimensions).
 */

/** Mean and covariance (unbiased) of `n` rows of `d` features, row-major. */
export function gaussianStats(features: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 2) throw new RangeError(`need at least 2 feature rows, got ${n}`)
  const mean = new Float64Array(d)
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += features[i * d + j]! / n
  const cov = new Float64Array(d * d)
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const da = features[i * d + a]! - mean[a]!
      for (let b = a; b < d; b++) cov[a * d + b]! += (da * (features[i * d + b]! - mean[b]!)) / (n - 1)
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a]!
  return { mean, cov }
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix)
  const v = new Float64Array(d * d)
  for (let i = 0; i < d; i++) v[i * d + i] = 1
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! ** 2
    if (off < 1e-22) break
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!
        if (Math.abs(apq) < 1e-300) continue
        const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!
          const akq = a[k * d + q]!
          a[k * d + p] = c * akp - s * akq
          a[k * d + q] = s * akp + c * akq
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!
          const aqk = a[q * d + k]!
          a[p * d + k] = c * apk - s * aqk
          a[q * d + k] = s * apk + c * aqk
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!
          const vkq = v[k * d + q]!
          v[k * d + p] = c * vkp - s * vkq
          v[k * d + q] = s * vkp + c * vkq
        }
      }
    }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => a[i * d + i]!), vectors: v }
}

function multiply(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d)
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) for (let j = 0; j < d; j++) out[i * d + j]! += a[i * d + k]! * b[k * d + j]!
  return out
}

/** Symmetric PSD square root via the eigen-decomposition (negative round-off eigenvalues clamp to 0). */
function sqrtPsd(m: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(m, d)
  const out = new Float64Array(d * d)
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0
      for (let k = 0; k < d; k++) s += vectors[i * d + k]! * Math.sqrt(Math.max(0, values[k]!)) * vectors[j * d + k]!
      out[i * d + j] = s
    }
  }
  return out
}

/** Fréchet distance between two fitted Gaussians. Tr((Σ₁Σ₂)^½) = Tr((Σ₁^½ Σ₂ Σ₁^½)^½), a symmetric PSD form. */
export function frechetDistance(a: { mean: Float64Array; cov: Float64Array }, b: { mean: Float64Array; cov: Float64Array }): number {
  const d = a.mean.length
  if (b.mean.length !== d) throw new RangeError(`feature sizes differ: ${d} vs ${b.mean.length}`)
  let meanTerm = 0
  for (let i = 0; i < d; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2
  const rootA = sqrtPsd(a.cov, d)
  const inner = multiply(multiply(rootA, b.cov, d), rootA, d)
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) inner[i * d + j] = inner[j * d + i] = (inner[i * d + j]! + inner[j * d + i]!) / 2
  const { values } = symmetricEigen(inner, d)
  let trace = 0
  for (let i = 0; i < d; i++) trace += a.cov[i * d + i]! + b.cov[i * d + i]!
  for (const lambda of values) trace -= 2 * Math.sqrt(Math.max(0, lambda))
  return meanTerm + trace
}
