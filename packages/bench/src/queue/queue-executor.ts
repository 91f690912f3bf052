import { setTimeout as sleep } from 'node:timers/promises'
import { Queue, type Job } from 'bullmq'
import type { Executor } from '../executor.js'
import type { RunRecord } from '../records.js'
import type { ProgressFn, RunJob } from '../run-one.js'
import type { QueueAddress } from './connection.js'
import { QUEUE_NAME, queueJobId, type QueuedResult, type QueuedRun } from './protocol.js'

export interface QueueExecutorOptions {
  /** The coordinator's code revision, sent with every run. */
  readonly revision: string
  /** Attempts per run before it is recorded as failed (a crash or a killed worker uses one). */
  readonly attempts?: number
  /** How often each waiting run's state is read back (ms). */
  readonly pollMs?: number
  /** Called once when no worker has connected for `idleWarningMs`. */
  readonly onNoWorkers?: () => void
  readonly idleWarningMs?: number
}

/**
 * The coordinator's side of a queued bench: every run the runner hands it goes onto a BullMQ queue
 * (deduplicated by a deterministic job id), and `run` resolves with the record a worker returns
 * through Redis. Completion is read by polling the job's state rather than from the event stream,
 * so a coordinator restarted mid-bench, or a Redis restart, loses nothing: a run that already
 * completed is picked up from its job, and a run Redis lost is queued again.
 */
export class QueueExecutor implements Executor {
  /** Every pending run is queued at once; the workers bound the real parallelism. */
  readonly concurrency = 4096
  private readonly queue: Queue<QueuedRun, QueuedResult, string, QueuedRun, QueuedResult, string>
  private readonly attempts: number
  private readonly pollMs: number
  private closed = false
  private watchdog: NodeJS.Timeout | null = null

  constructor(
    readonly address: QueueAddress,
    private readonly options: QueueExecutorOptions,
  ) {
    this.queue = new Queue<QueuedRun, QueuedResult, string, QueuedRun, QueuedResult, string>(QUEUE_NAME, { connection: address.connection })
    this.attempts = options.attempts ?? 3
    this.pollMs = options.pollMs ?? 500
    if (options.onNoWorkers) this.watchForWorkers(options.onNoWorkers, options.idleWarningMs ?? 5000)
  }

  /** Warns once if no worker is connected after a while (a coordinator alone waits forever). */
  private watchForWorkers(warn: () => void, afterMs: number): void {
    this.watchdog = setTimeout(() => {
      this.queue.getWorkersCount().then(
        (n) => {
          if (n === 0 && !this.closed) warn()
        },
        () => {},
      )
    }, afterMs)
    this.watchdog.unref()
  }

  private async enqueue(job: RunJob): Promise<void> {
    await this.queue.add('run', { job, revision: this.options.revision }, {
      jobId: queueJobId(job),
      attempts: this.attempts,
      backoff: { type: 'fixed', delay: 1000 },
      // Completed jobs stay a while so a restarted coordinator can collect them.
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    })
  }

  async run(job: RunJob, onProgress: ProgressFn): Promise<RunRecord> {
    const id = queueJobId(job)
    let existing = await this.queue.getJob(id)
    // A run that failed under an earlier coordinator gets a fresh set of attempts now.
    if (existing && (await existing.isFailed())) {
      await existing.remove()
      existing = undefined
    }
    if (!existing) await this.enqueue(job)
    let lastProgress = -1
    for (;;) {
      if (this.closed) throw new Error(`queue closed while waiting for ${id}`)
      const bull: Job<QueuedRun, QueuedResult> | undefined = await this.queue.getJob(id)
      if (!bull) {
        // Redis lost the job (restarted without persistence): queue it again.
        await this.enqueue(job)
        continue
      }
      const state = await bull.getState()
      if (state === 'completed') return bull.returnvalue
      if (state === 'failed') {
        throw new Error(`${job.suite}/${job.arm}/seed ${job.seed} failed after ${bull.attemptsMade} attempt(s) on the queue: ${bull.failedReason}`)
      }
      if (typeof bull.progress === 'number' && bull.progress !== lastProgress) {
        lastProgress = bull.progress
        onProgress(bull.progress)
      }
      await sleep(this.pollMs)
    }
  }

  /** Ctrl-C: stop waiting; queued runs stay on the queue for the next coordinator. */
  kill(): void {
    this.closed = true
    if (this.watchdog) clearTimeout(this.watchdog)
    void this.queue.close().catch(() => {})
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.watchdog) clearTimeout(this.watchdog)
    await this.queue.close()
  }
}
