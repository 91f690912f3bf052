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
} from '@converge/core/suite'
export { runAblation, planJobs, type AblationOptions, type AblationOutcome, type BenchEvent } from './runner.js'
export { summarise, type SuiteSummary, type ArmSummary } from './summary.js'
export {
  median,
  percentile,
  pairedSpeedups,
  medianRatio,
  bootstrapMedianRatioCI,
  probabilityFaster,
  type Interval,
} from './stats.js'
export { targetFromBaseline } from './target.js'
export { readRecords, appendRecord, configHash, canonicalJson, type RunRecord } from './records.js'
export { runOne, type RunJob } from './run-one.js'
export { InProcessExecutor, WorkerPool, type Executor } from './executor.js'
export { defineBenchConfig, loadConfig, findConfigFile, type BenchConfig } from './config.js'
export { renderSvg, metricPlot, speedupPlot } from './plots.js'
export { renderConsole, renderMarkdownTable } from './format.js'
export { optimizerSanitySuite } from './suites/optimizer-sanity.js'
