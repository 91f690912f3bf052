import type { RunJob } from '../run-one.js'
import type { RunRecord } from '../records.js'

/** The BullMQ queue every coordinator and worker of a bench shares. */
export const QUEUE_NAME = 'converge-bench'

/** What the coordinator puts on the queue for one run. */
export interface QueuedRun {
  readonly job: RunJob
  /** The coordinator's code revision; a worker on other code refuses the run. */
  readonly revision: string
}

/** What a worker returns: the finished record, carried back through Redis. */
export type QueuedResult = RunRecord

/**
 * A run's queue id: the same run (settings hash and seed) always gets the same id, so a restarted
 * coordinator finds the job it queued before instead of queueing it twice. BullMQ forbids ':'.
 */
export function queueJobId(job: RunJob): string {
  return `${job.kind}.${job.suite}.${job.arm}.${job.configHash}.${job.sourceHash}.seed${job.seed}`.replace(/:/g, '_')
}
