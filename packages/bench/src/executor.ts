import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { RunJob } from './job.js'
import { createJobRunner } from './job-runner.js'
import type { RunRecord } from './records.js'
import type { ProgressFn } from './run-one.js'
import type { BenchSuite } from '@converge/core/suite'

/**
 * Executes jobs: the boundary between planning (the runner decides which jobs to run, in which
 * order, and records what comes back) and running. An executor takes a plain-data RunJob, trains
 * it somewhere that can load the same bench config (see `createJobRunner`), reports progress,
 * and resolves with the RunRecord, or rejects with the run's error (`name` kept, so the runner
 * can tell a BackendError from a crashed run). It never writes results itself.
 *
 * - `concurrency`: how many jobs the runner keeps in flight at once.
 * - `close()`: finish politely once every job is done.
 * - `kill()`: stop now (Ctrl-C, fatal error); in-flight jobs reject or are ignored, never recorded.
 */
export interface Executor {
  readonly concurrency: number
  run(job: RunJob, onProgress: ProgressFn): Promise<RunRecord>
  close(): Promise<void>
  kill(): void
}

/**
 * Runs jobs one after another in this process (programmatic use and tests). A run in progress
 * cannot be interrupted here; the CLI always uses worker processes.
 */
export class InProcessExecutor implements Executor {
  readonly concurrency = 1
  private readonly runner: ReturnType<typeof createJobRunner>
  constructor(suites: readonly BenchSuite[]) {
    this.runner = createJobRunner((name) => suites.find((s) => s.name === name))
  }
  run(job: RunJob, onProgress: ProgressFn): Promise<RunRecord> {
    return this.runner(job, onProgress)
  }
  async close(): Promise<void> {}
  kill(): void {}
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; step: number }
  | { type: 'done'; record: RunRecord }
  | { type: 'error'; name?: string; message: string; stack?: string }

interface Slot {
  child: ChildProcess
  busy: boolean
  /** Resolves once the worker has loaded the config and can take a job. */
  ready: Promise<void>
}

/**
 * Runs jobs in `concurrency` worker processes (tfjs state is per process), each loading the bench
 * config by path and running one job at a time. Workers are reused across jobs and suites.
 */
export class WorkerPool implements Executor {
  private readonly slots: Slot[] = []
  private readonly waiting: ((slot: Slot) => void)[] = []
  private closed = false

  constructor(
    readonly concurrency: number,
    private readonly configPath: string,
  ) {}

  private spawn(): Slot {
    const here = fileURLToPath(import.meta.url)
    const isTs = here.endsWith('.ts')
    const worker = here.replace(/executor\.(ts|js)$/, `worker.${isTs ? 'ts' : 'js'}`)
    // The config and suites may be TypeScript: load tsx's ESM hooks in the worker.
    const child = fork(worker, [this.configPath], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: a terminal's Ctrl-C reaches the bench, which stops the workers itself.
      detached: true,
    })
    const ready = new Promise<void>((resolve) => {
      const onReady = (m: WorkerMessage) => {
        if (m.type !== 'ready') return
        child.off('message', onReady)
        resolve()
      }
      child.on('message', onReady)
      child.once('exit', () => resolve())
    })
    const slot: Slot = { child, busy: false, ready }
    this.slots.push(slot)
    return slot
  }

  /** Starts every worker process now and waits until each can take a job (a long-lived worker's start-up). */
  async warm(): Promise<void> {
    while (this.slots.length < this.concurrency) this.spawn()
    await Promise.all(this.slots.map((s) => s.ready))
  }

  /** A slot marked busy before anyone else can see it (two lanes may ask at once). */
  private acquire(): Promise<Slot> {
    const slot = this.slots.find((s) => !s.busy) ?? (this.slots.length < this.concurrency ? this.spawn() : null)
    if (slot) {
      slot.busy = true
      return Promise.resolve(slot)
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  /** Hands the slot straight to a waiting lane (still busy), or frees it. */
  private release(slot: Slot): void {
    const next = this.waiting.shift()
    if (next) next(slot)
    else slot.busy = false
  }

  async run(job: RunJob, onProgress: ProgressFn): Promise<RunRecord> {
    if (this.closed) throw new Error('worker pool is closed')
    const slot = await this.acquire()
    try {
      return await new Promise<RunRecord>((resolve, reject) => {
        const onMessage = (m: WorkerMessage) => {
          if (m.type === 'ready') return
          if (m.type === 'progress') onProgress(m.step)
          else {
            cleanup()
            if (m.type === 'done') resolve(m.record)
            else reject(Object.assign(new Error(m.message), { name: m.name ?? 'Error', stack: m.stack ?? m.message }))
          }
        }
        const onExit = (code: number | null, signal: string | null) => {
          cleanup()
          const i = this.slots.indexOf(slot)
          if (i >= 0) this.slots.splice(i, 1)
          reject(new Error(`bench worker exited (code ${code}, signal ${signal}) while running ${job.suite}/${job.arm}/seed ${job.seed}`))
        }
        const cleanup = () => {
          slot.child.off('message', onMessage)
          slot.child.off('exit', onExit)
        }
        slot.child.on('message', onMessage)
        slot.child.on('exit', onExit)
        slot.child.send({ type: 'run', job })
      })
    } finally {
      if (this.slots.includes(slot)) this.release(slot)
      else {
        // The worker died: a waiting lane gets a fresh one.
        const next = this.waiting.shift()
        if (next) {
          const fresh = this.spawn()
          fresh.busy = true
          next(fresh)
        }
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null) return resolve()
            s.child.once('exit', () => resolve())
            s.child.send({ type: 'exit' })
          }),
      ),
    )
    this.slots.length = 0
  }

  /** Stops every worker at once (Ctrl-C): no run in flight writes a record. */
  kill(): void {
    this.closed = true
    for (const s of this.slots) s.child.kill('SIGKILL')
    this.slots.length = 0
  }
}
