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
  /** Called once per outage with what the coordinator waits for, and once when Redis is back. */
  readonly onRedis?: (line: string) => void
  /** How long Redis may stay unreachable (at the start or mid-bench) before the bench gives up (default `REDIS_GIVE_UP_MS`). */
  readonly redisGiveUpMs?: number
}

/** Default time a coordinator waits for an unreachable Redis before giving up (docs/scale-out.md). */
export const REDIS_GIVE_UP_MS = 60_000

/** Redis stayed unreachable past the coordinator's limit: every run would wait on it. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError'
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
    this.giveUp = new Promise<never>((_, reject) => (this.rejectAll = reject))
    this.giveUp.catch(() => {}) // observed through guard()
    // Without a listener, every reconnection attempt prints a raw ECONNREFUSED stack.
    this.queue.on('error', (e: Error) => this.redisDown(e))
    if (options.onNoWorkers) this.watchForWorkers(options.onNoWorkers, options.idleWarningMs ?? 5000)
  }

  private readonly giveUp: Promise<never>
  private rejectAll: (e: Error) => void = () => {}
  private downSince: number | null = null
  private giveUpTimer: NodeJS.Timeout | null = null
  private gaveUp = false

  /** Redis is unreachable: say so once per outage, and give up if it stays away past the limit. */
  private redisDown(e: Error): void {
    if (this.downSince !== null || this.closed) return
    this.downSince = Date.now()
    const limit = this.options.redisGiveUpMs ?? REDIS_GIVE_UP_MS
    const why = (e as NodeJS.ErrnoException).code ?? e.message
    this.options.onRedis?.(`cannot reach Redis at ${this.address.display} (${why}); waiting for it, for at most ${Math.round(limit / 1000)} s`)
    this.giveUpTimer = setTimeout(() => {
      this.gaveUp = true
      this.rejectAll(new QueueUnavailableError(`Redis at ${this.address.display} unreachable for ${Math.round(limit / 1000)} s (${why}); gave up. Start Redis (or check --queue) and rerun the same command: queued and completed runs are kept.`))
    }, limit)
    this.giveUpTimer.unref()
  }

  /** A Redis call answered: an outage (if any) is over. */
  private redisUp(): void {
    if (this.downSince === null || this.gaveUp) return
    if (this.giveUpTimer) clearTimeout(this.giveUpTimer)
    this.options.onRedis?.(`Redis at ${this.address.display} is back after ${((Date.now() - this.downSince) / 1000).toFixed(1)} s`)
    this.downSince = null
  }

  /** `p`, unless the coordinator gives up on Redis first. */
  private async guard<T>(p: Promise<T>): Promise<T> {
    const v = await Promise.race([p, this.giveUp])
    this.redisUp()
    return v
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
    await this.guard(this.queue.add('run', { job, revision: this.options.revision }, {
      jobId: queueJobId(job),
      attempts: this.attempts,
      backoff: { type: 'fixed', delay: 1000 },
      // Completed jobs stay a while so a restarted coordinator can collect them.
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    }))
  }

  async run(job: RunJob, onProgress: ProgressFn): Promise<RunRecord> {
    const id = queueJobId(job)
    let existing = await this.guard(this.queue.getJob(id))
    // A run that failed under an earlier coordinator gets a fresh set of attempts now.
    if (existing && (await this.guard(existing.isFailed()))) {
      await this.guard(existing.remove())
      existing = undefined
    }
    if (!existing) await this.enqueue(job)
    let lastProgress = -1
    let emptyReads = 0
    for (;;) {
      if (this.closed) throw new Error(`queue closed while waiting for ${id}`)
      const bull: Job<QueuedRun, QueuedResult> | undefined = await this.guard(this.queue.getJob(id))
      if (!bull) {
        // Redis lost the job (restarted without persistence): queue it again.
        await this.enqueue(job)
        continue
      }
      const state = await this.guard(bull.getState())
      if (state === 'completed' || state === 'failed') {
        // `bull` may have been read just before the run ended (its returnvalue still null): read
        // the job again for the result, else a finished run would be recorded as a crash.
        const done = await this.guard(this.queue.getJob(id))
        if (state === 'completed' && done?.returnvalue) return done.returnvalue
        if (state === 'failed' && done) {
          throw new Error(`${job.suite}/${job.arm}/seed ${job.seed} failed after ${done.attemptsMade} attempt(s) on the queue: ${done.failedReason}`)
        }
        if (done && ++emptyReads > 3) throw new Error(`${job.suite}/${job.arm}/seed ${job.seed} completed on the queue without a record (job ${id})`)
        continue
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
    if (this.giveUpTimer) clearTimeout(this.giveUpTimer)
    // Closing waits on Redis; with Redis gone, drop the connection instead.
    if (this.downSince !== null) await Promise.race([this.queue.disconnect().catch(() => {}), sleep(500)])
    else await this.queue.close()
  }
}
