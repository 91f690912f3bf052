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
  type Hyperparams,
  type TuneSpec,
} from '@converge/core/suite'
export { runAblation, planSuite, planRuns, planJobs, type AblationOptions, type AblationOutcome, type BenchEvent, type SuitePlan } from './runner.js'
export { summarise, GAP_SCALES, type SuiteSummary, type ArmSummary, type TargetLevel } from './summary.js'
export {
  pairBounds,
  speedupEstimate,
  signTestRank,
  signTestInterval,
  signedRankRatioInterval,
  medianOfRatios,
  MIN_INFORMATIVE_PAIRS,
  CI_LEVEL,
  type PairBound,
  type SpeedupEstimate,
  type RatioInterval,
  type IntervalMethod,
} from './paired-ratio.js'
export { signedRankCdf, signedRankK, signedRankInterval, walshAverages, type SignedRankInterval } from './signed-rank.js'
export { gridPoints, chooseHyperparams, tuningTarget, DEFAULT_TUNING_SEEDS, type ArmTuning, type TuningPoint } from './tuning.js'
export { jobKey, TUNING_SEED_BASE, type JobKind } from './job.js'
export { createJobRunner, WARMUP_STEPS } from './job-runner.js'
export { sourceHash } from './source-hash.js'
export { lockOutput, OutputLockedError } from './lock.js'
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
export { smoothedHistory, crossingHistory, levelAt, consecutiveEvaluationNoise, type CrossingRule } from './crossing.js'
export {
  minimumDetectable,
  minimumDetectableSpeedup,
  detectionFactor,
  pairsToDetect,
  logRatioSpread,
  DETECTION_POWER,
  POWER_SIMULATIONS,
  type MinimumDetectable,
} from './power.js'
export { choosePairs, pilotSpread, validatePairs, DEFAULT_DETECT, MIN_AUTO_PAIRS, type PairsChoice } from './pairs-auto.js'
export { budgetMatched, matchedRatio, finalMetric, budgetsOf, validateBudgets, type BudgetMatched } from './budget-matched.js'
export { verdictOf, DETECTABLE_LIMIT, type Verdict, type VerdictWord } from './verdict.js'
export { readRecords, appendRecord, configHash, canonicalJson, CorruptResultsError, RECORD_FORMAT, type RunRecord } from './records.js'
export { runOne, type RunJob } from './run-one.js'
export { InProcessExecutor, WorkerPool, type Executor } from './executor.js'
export { defineBenchConfig, loadConfig, findConfigFile, selectSuites, type BenchConfig } from './config.js'
export { renderSvg, metricPlot, speedupPlot, marginPlot, forestPlot } from './plots.js'
export { writeSuiteHtml } from './html/write.js'
export { writeIndexPage, type IndexOptions } from './html/index-page.js'
export { renderConsole, renderMarkdownTable } from './format.js'
export { optimizerSanitySuite } from './suites/optimizer-sanity.js'
export { fashionSanitySuite } from './suites/fashion-sanity.js'
export { emaSuite } from './suites/ema.js'
export { scheduleBudgetSuite } from './suites/schedule-budget.js'
