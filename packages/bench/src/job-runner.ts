import type { BenchSuite } from '@converge/core/suite'
import type { RunJob } from './job.js'
import type { RunRecord } from './records.js'
import { runOne, type ProgressFn } from './run-one.js'

/** Steps of the warm-up run: enough to compile kernels and fill caches, short next to a real run. */
export const WARMUP_STEPS = 20

/**
 * Runs jobs in one process. Before the first job of each suite, it trains a short warm-up run of
 * that job and discards it, so no measured run pays for backend start-up and kernel compilation
 * (otherwise the first arm a worker runs looks slower per step). Every executor runs jobs through
 * one of these.
 */
export function createJobRunner(findSuite: (name: string) => BenchSuite | undefined): (job: RunJob, onProgress: ProgressFn) => Promise<RunRecord> {
  const warmed = new Set<string>()
  return async (job, onProgress) => {
    const suite = findSuite(job.suite)
    if (!suite) throw new RangeError(`unknown suite "${job.suite}"`)
    if (!warmed.has(suite.name)) {
      // The job's own budget, stopped early: a schedule's warm-up longer than the warm-up run stays valid.
      await runOne(suite, { ...job, stopAfter: WARMUP_STEPS, evalEvery: WARMUP_STEPS, metricsFile: undefined, checkpoint: undefined })
      warmed.add(suite.name)
    }
    return runOne(suite, job, onProgress)
  }
}
