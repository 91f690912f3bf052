/**
 * How much a teacher's tokens carry beyond the class label and the token position — the gate a
 * representation-alignment teacher must pass before an ERW / REPA suite runs on it. Computed on
 * unit-normalised tokens (the alignment loss is a cosine), over a labelled set of images:
 *   - `classPositionR2`: share of the across-image variance at each position that the class's mean
 *     token at that position explains (what a denoiser given the label through adaLN could match by
 *     lookup);
 *   - `globalShare`: share of the total variance (around the grand mean token) that the per-image
 *     mean token explains (near 1: tokens differ across images but not across an image);
 *   - `classPositionCosine`: mean cosine between a token and its class-and-position mean direction;
 *   - `near`, `far`: mean cosine between tokens of one image at grid distance ≤ 1 and ≥ 2.5
 *     (`nearMinusFar` > 0: spatial structure).
 */
export interface TokenProbe {
  readonly classPositionR2: number
  readonly globalShare: number
  readonly classPositionCosine: number
  readonly near: number
  readonly far: number
  readonly nearMinusFar: number
}

/**
 * The probe of `tokens` (`[n, grid², width]` row-major, tokens row-major over a square grid) of
 * images labelled `labels` (classes 0..classes−1). Plain JS in float64.
 */
export function probeTokens(tokens: ArrayLike<number>, labels: ArrayLike<number>, count: number, width: number, classes: number): TokenProbe {
  const per = tokens.length / (count * width)
  const grid = Math.round(Math.sqrt(per))
  if (!Number.isInteger(per) || grid * grid !== per) throw new RangeError(`tokens hold ${tokens.length} values: not ${count} images × a square grid × ${width}`)
  if (labels.length !== count) throw new RangeError(`${labels.length} labels for ${count} images`)
  const stride = per * width
  // unit tokens
  const u = new Float64Array(tokens.length)
  for (let k = 0; k < count * per; k++) {
    let norm = 0
    for (let j = 0; j < width; j++) norm += (tokens[k * width + j] as number) ** 2
    const inv = 1 / Math.max(Math.sqrt(norm), 1e-12)
    for (let j = 0; j < width; j++) u[k * width + j] = (tokens[k * width + j] as number) * inv
  }
  // per-position mean, per-(class, position) mean, grand mean
  const posMean = new Float64Array(stride)
  const classMean = new Float64Array(classes * stride)
  const classCount = new Float64Array(classes)
  const grand = new Float64Array(width)
  for (let i = 0; i < count; i++) {
    const c = labels[i] as number
    if (!(Number.isInteger(c) && c >= 0 && c < classes)) throw new RangeError(`label ${i} is ${c}; expected an integer in [0, ${classes})`)
    classCount[c]!++
    for (let k = 0; k < stride; k++) {
      const v = u[i * stride + k]!
      posMean[k]! += v / count
      classMean[c * stride + k]! += v
      grand[k % width]! += v / (count * per)
    }
  }
  for (let c = 0; c < classes; c++) for (let k = 0; k < stride; k++) if (classCount[c]! > 0) classMean[c * stride + k]! /= classCount[c]!
  let total = 0
  let classResidual = 0
  let total2 = 0
  let globalResidual = 0
  let cosine = 0
  let nearSum = 0
  let nearCount = 0
  let farSum = 0
  let farCount = 0
  const imageMean = new Float64Array(width)
  for (let i = 0; i < count; i++) {
    const c = labels[i] as number
    imageMean.fill(0)
    for (let t = 0; t < per; t++) for (let j = 0; j < width; j++) imageMean[j]! += u[i * stride + t * width + j]! / per
    for (let t = 0; t < per; t++) {
      let dot = 0
      let norm = 0
      for (let j = 0; j < width; j++) {
        const k = t * width + j
        const v = u[i * stride + k]!
        const m = classMean[c * stride + k]!
        total += (v - posMean[k]!) ** 2
        classResidual += (v - m) ** 2
        total2 += (v - grand[j]!) ** 2
        globalResidual += (v - imageMean[j]!) ** 2
        dot += v * m
        norm += m * m
      }
      cosine += dot / Math.max(Math.sqrt(norm), 1e-12) / (count * per)
      const ty = Math.floor(t / grid)
      const tx = t % grid
      for (let s = 0; s < per; s++) {
        const dist = Math.hypot(Math.floor(s / grid) - ty, (s % grid) - tx)
        if (dist === 0 || (dist > 1 && dist < 2.5)) continue
        let sim = 0
        for (let j = 0; j < width; j++) sim += u[i * stride + t * width + j]! * u[i * stride + s * width + j]!
        if (dist <= 1) {
          nearSum += sim
          nearCount++
        } else {
          farSum += sim
          farCount++
        }
      }
    }
  }
  const near = nearCount ? nearSum / nearCount : NaN
  const far = farCount ? farSum / farCount : NaN
  return { classPositionR2: 1 - classResidual / total, globalShare: 1 - globalResidual / total2, classPositionCosine: cosine, near, far, nearMinusFar: near - far }
}
