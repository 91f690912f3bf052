/** What the UCB score reads of one source. */
export interface SourceStats {
  /** Mean |advantage| over the source's sliding window (0 before it has any). */
  readonly meanAbsAdvantage: number
  /** Responses from this source fed so far (n_d, all time, not capped by the window). */
  readonly count: number
}

/**
 * DUMP's score per source: `UCB_d = mean|A|_d + c · sqrt(2 · ln(N + 1) / (n_d + 1))`, with
 * N = max(1, Σ n_d) and counts in responses (as the official `compute_sampling_weights`).
 * A source never fed has mean 0 and the largest bonus, so it gets explored.
 */
export function ucbScores(stats: readonly SourceStats[], exploration: number): number[] {
  if (!(exploration >= 0)) throw new RangeError(`exploration must be non-negative, got ${exploration}`)
  let total = 0
  for (const s of stats) {
    if (!(s.count >= 0) || !Number.isFinite(s.count)) throw new RangeError(`source counts must be finite and non-negative, got ${s.count}`)
    total += s.count
  }
  const N = Math.max(1, total)
  return stats.map((s) => s.meanAbsAdvantage + exploration * Math.sqrt((2 * Math.log(N + 1)) / (s.count + 1)))
}

/** `softmax(scores / temperature)`, max-subtracted so large scores cannot overflow. */
export function softmaxProbabilities(scores: readonly number[], temperature: number): number[] {
  if (!(temperature > 0)) throw new RangeError(`temperature must be positive, got ${temperature}`)
  if (scores.length === 0) return []
  const max = Math.max(...scores)
  const e = scores.map((s) => Math.exp((s - max) / temperature))
  const z = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / z)
}

/** Sampling probabilities over sources: `softmax(UCB / τ)`. */
export function ucbSamplingProbabilities(stats: readonly SourceStats[], options: { readonly exploration: number; readonly temperature: number }): number[] {
  return softmaxProbabilities(ucbScores(stats, options.exploration), options.temperature)
}
