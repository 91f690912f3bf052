export { frugal, galoreLike, plainAdam, type FrugalTrick, type OptimizerTrick } from './frugal.js'
export { FrugalOptimizer, type FrugalStateReport } from './frugal-optimizer.js'
export {
  frugalOptionsSchema,
  frugalSettingsSchema,
  frugalOptimizerConfigSchema,
  SUBSPACES,
  STATE_FREE_RULES,
  BLOCK_ORDERS,
  PROJECTION_SIDES,
  DEFAULT_KEEP_ADAM,
  type FrugalOptions,
  type ResolvedFrugalOptions,
  type FrugalSettings,
  type FrugalOptimizerConfig,
  type ResolvedFrugalOptimizerConfig,
  type Subspace,
  type StateFreeRule,
  type BlockOrder,
  type ProjectionSide,
} from './options.js'
export { planParameters, isProjected, type Plan, type ParamPlan, type ProjectedPlan, type ParamInfo } from './param-plan.js'
export {
  adamStateBytes,
  paramStateBytes,
  planStateBytes,
  sumBytes,
  BYTES_PER_ELEMENT,
  type StateBytes,
  type ParamStateBytes,
} from './state-bytes.js'
export {
  topLeftSingularVectors,
  randomSemiOrthogonal,
  orthonormalizeColumns,
  symmetricEigen,
  type RangeFinderOptions,
} from './linalg.js'
