/**
 * A closed-form ridge-regression probe: fit one-hot labels from features on a training split,
 * report accuracy on a held-out split (REPA's representation diagnostic, without an optimizer).
 */
export function linearProbeAccuracy(
  features: ArrayLike<number>,
  labels: ArrayLike<number>,
  d: number,
  classes: number,
  trainCount: number,
  ridge = 1e-2,
): number {
  const n = labels.length
  if (trainCount < 1 || trainCount >= n) throw new RangeError(`probe train split must be in 1..${n - 1}, got ${trainCount}`)
  const dim = d + 1 // bias column
  const row = (i: number, j: number) => (j === d ? 1 : features[i * d + j]!)
  // normal equations (XᵀX + ridge·I) W = XᵀY
  const a = new Float64Array(dim * dim)
  const rhs = new Float64Array(dim * classes)
  for (let i = 0; i < trainCount; i++) {
    for (let p = 0; p < dim; p++) {
      const xp = row(i, p)
      for (let q = 0; q < dim; q++) a[p * dim + q]! += xp * row(i, q)
      rhs[p * classes + labels[i]!]! += xp
    }
  }
  for (let p = 0; p < dim; p++) a[p * dim + p]! += ridge * trainCount
  // Gauss-Jordan with partial pivoting
  for (let col = 0; col < dim; col++) {
    let pivot = col
    for (let r = col + 1; r < dim; r++) if (Math.abs(a[r * dim + col]!) > Math.abs(a[pivot * dim + col]!)) pivot = r
    if (pivot !== col) {
      for (let k = 0; k < dim; k++) [a[col * dim + k], a[pivot * dim + k]] = [a[pivot * dim + k]!, a[col * dim + k]!]
      for (let k = 0; k < classes; k++) [rhs[col * classes + k], rhs[pivot * classes + k]] = [rhs[pivot * classes + k]!, rhs[col * classes + k]!]
    }
    const diag = a[col * dim + col]!
    for (let r = 0; r < dim; r++) {
      if (r === col) continue
      const f = a[r * dim + col]! / diag
      if (f === 0) continue
      for (let k = col; k < dim; k++) a[r * dim + k]! -= f * a[col * dim + k]!
      for (let k = 0; k < classes; k++) rhs[r * classes + k]! -= f * rhs[col * classes + k]!
    }
  }
  for (let p = 0; p < dim; p++) for (let k = 0; k < classes; k++) rhs[p * classes + k]! /= a[p * dim + p]!
  let correct = 0
  for (let i = trainCount; i < n; i++) {
    let best = 0
    let bestScore = -Infinity
    for (let k = 0; k < classes; k++) {
      let s = 0
      for (let p = 0; p < dim; p++) s += row(i, p) * rhs[p * classes + k]!
      if (s > bestScore) [best, bestScore] = [k, s]
    }
    if (best === labels[i]) correct++
  }
  return correct / (n - trainCount)
}
