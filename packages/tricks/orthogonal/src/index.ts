export { muon, root, adamw, MUON_DEFAULT_LR, type OrthogonalTrick } from './tricks.js'
export { OrthogonalOptimizer } from './orthogonal-optimizer.js'
export {
  orthogonalOptionsSchema,
  orthogonalOptimizerConfigSchema,
  MATRIX_RULES,
  COEFFICIENT_SETS,
  type OrthogonalOptions,
  type ResolvedOrthogonalOptions,
  type OrthogonalOptimizerConfig,
  type ResolvedOrthogonalOptimizerConfig,
  type MatrixRule,
  type CoefficientSet,
} from './options.js'
export { newtonSchulz, quinticIterate, quinticStability, MUON_QUINTIC, type Quintic, type QuinticStability } from './newton-schulz.js'
export { rootCoefficients, ROOT_TABLE, ROOT_RELEASED_TABLE, type CoefficientChoice } from './root-coefficients.js'
export { shapeScale, SHAPE_SCALES, type ShapeScale } from './shape-scale.js'
export { absPercentile, clipAtPercentile } from './percentile-clip.js'
export { adamwStateBytes, BYTES_PER_ELEMENT, type OrthogonalStateReport, type ParamStateBytes } from './state-bytes.js'
export { gradientSpikes, gradientSpikesOptionsSchema, type GradientSpikesOptions } from './gradient-spikes.js'
