/**
 * `@converge/tasks`: the bench's task families, each a `TaskDefinition` with typed capabilities.
 * The synthetic classification task lives in `@converge/core` (the contract kit's default) and is
 * re-exported here so every bench task has one home.
 */
export {
  syntheticClassification,
  syntheticClassificationOptionsSchema,
  type SyntheticClassificationOptions,
  type ClassificationBatch,
  type ClassificationOutput,
} from '@converge/core'
export {
  charLm,
  charLmSource,
  charLmOptionsSchema,
  CHAR_LM_TEXT_TARGET,
  type CharLmOptions,
  type CharLmBatch,
  type CharLmOutput,
  type MarkovSource,
} from './char-lm.js'
export {
  charLmTransformer,
  charLmTransformerOptionsSchema,
  SMALL_CHAR_LM_TRANSFORMER,
  CHAR_LM_TRANSFORMER_TEXT_TARGET,
  type CharLmTransformerOptions,
  type CharLmTransformerBatch,
  type CharLmTransformerOutput,
} from './char-lm-transformer.js'
export {
  rlArithmetic,
  rlArithmeticOptionsSchema,
  rlArithmeticSourceSchema,
  DEFAULT_RL_SOURCES,
  RL_SOURCE_ROLES,
  type RlArithmeticOptions,
  type RlArithmeticSource,
  type RlArithmeticBatch,
  type RlArithmeticOutput,
  type RlArithmeticInstance,
  type RlSourceRole,
} from './rl-arithmetic.js'
export * from './diffusion/index.js'
export * from './set-prediction/index.js'
export { charCorpusSchema } from './char-corpus.js'
export * from './fashion/index.js'
