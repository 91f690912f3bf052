export { noisyReward, noisyRewardOptionsSchema, NOISY_REWARD_NORMALIZATIONS, type NoisyRewardOptions, type NoisyRewardStats } from './noisy-reward.js'
export { backwardCorrect, forwardWeights } from './corrections.js'
export { AppealEstimator, appealEstimatorOptionsSchema, type AppealEstimatorOptions, type AppealStep } from './appeal-estimator.js'
export { checkRates, type NoiseRates } from './rates.js'
