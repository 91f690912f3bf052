/**
 * RL rollouts for one step: `groupSize` completions for each prompt, laid out prompt-major
 * (responses [g*G, (g+1)*G) belong to prompt g). The observed reward is what training sees; the
 * clean reward is the truth, kept apart so the bench can score progress honestly.
 */
export interface RolloutBatch {
  readonly groupSize: number
  /** Source of each response (the prompt's source, repeated G times). */
  readonly sources: readonly string[]
  /** Verifier rewards that training sees; `rewards` hooks may replace them. */
  observed: Float32Array
  /** True rewards; never used for training. */
  readonly clean: Float32Array
  /** Per-response advantages. A `rewards` hook may set them; otherwise the loop computes them. */
  advantages?: Float32Array
  /**
   * Present when the task has a second, more expensive verifier: re-checks the responses at
   * `indices` and returns its 0/1 verdicts in the same order. Every judged response counts as a
   * call (the task reports the total). Does not change `observed`: the caller decides what to do
   * with the verdicts.
   */
  readonly appeal?: (indices: readonly number[]) => Float32Array
}
