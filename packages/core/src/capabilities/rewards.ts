/**
 * `rewards`: an RL task whose batches carry rollouts (`batch.rollouts`): groups of completions
 * with verifier rewards, the observed ones apart from the clean ones. `rewards` hooks rewrite them.
 */
export interface Rewards {
  /** Completions per prompt (GRPO's G). */
  readonly groupSize: number
  /** Whether rollouts offer `appeal()`, a second, more expensive verifier. */
  readonly appeals: boolean
}
