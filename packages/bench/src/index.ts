export {
  defineSuite,
  type BenchSuite,
  type ArmSpec,
  type BenchSize,
  type SizeConfig,
  type TargetSpec,
  type SuitePlot,
  type RunExtras,
  type RunRecordLike,
} from './suite.js'
