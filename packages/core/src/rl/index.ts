/**
 * `@converge/core/rl`: GRPO primitives for RL tasks and reward tricks — group-relative
 * advantages, the clipped policy loss, the k3 KL penalty, and seeded noisy/appeal verifiers.
 */
export type { RolloutBatch } from './rollouts.js'
export {
  ADVANTAGE_NORMALIZATIONS,
  advantageOptionsSchema,
  createAdvantageEstimator,
  EmaScale,
  groupCentred,
  groupMeans,
  groupStds,
  groupZScores,
  type AdvantageEstimator,
  type AdvantageNormalization,
  type AdvantageOptions,
  type ResolvedAdvantageOptions,
} from './advantages.js'
export {
  aggregateTokens,
  clipFraction,
  policyLoss,
  policyLossOptionsSchema,
  POLICY_LOSS_AGGREGATIONS,
  type PolicyLossAggregation,
  type PolicyLossInputs,
  type PolicyLossOptions,
} from './policy-loss.js'
export { k3, k3Tensor, klPenalty, K3_CLAMP } from './kl.js'
export {
  applyRewardChannel,
  AppealVerifier,
  appealVerifierSchema,
  isCleanChannel,
  parseRewardChannel,
  rewardChannelSchema,
  type AppealVerifierOptions,
  type RewardChannel,
  type RewardChannelOptions,
} from './verifier.js'
