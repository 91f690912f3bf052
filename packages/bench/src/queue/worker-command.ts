/**
 * `converge-bench worker --queue <url>`: takes runs from the bench queue until stopped, `--jobs`
 * at a time, each in its own process (tfjs state is per process), and sends each record back
 * through Redis. A run from another code revision or other settings is refused, not run.
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { UnrecoverableError, Worker } from 'bullmq'
import { BACKEND_NAMES, ConfigError, type BackendName } from '@converge/core'
import { findConfigFile, loadConfig } from '../config.js'
import { WorkerPool } from '../executor.js'
import { armConfigHash, findArm, type RunJob } from '../run-one.js'
import { parseQueueUrl } from './connection.js'
import { QUEUE_NAME, type QueuedResult, type QueuedRun } from './protocol.js'
import { codeRevision } from './revision.js'

export const WORKER_HELP = `converge-bench worker: run bench jobs from a Redis queue until stopped

Usage: converge-bench worker --queue redis://host:port[/db] [options]

  --queue <url>        the coordinator's queue (redis:// or rediss:// for TLS; password in the URL)
  --jobs <n>           runs at a time, one process each (default: number of cores, here ${availableParallelism()})
  --backend <name>     backend for runs the coordinator left on auto: ${BACKEND_NAMES.join(' | ')}
  --config <file>      bench config (default: converge-bench.config.ts in the current folder);
                       must match the coordinator's, as must the code revision
  --lock-ms <n>        how long a run's lock lives without renewal; a killed worker's run is
                       retried by another worker after about this long (default 30000)
  --help               this text

Stop with Ctrl-C: runs in progress are abandoned and retried by another worker.`

export class WorkerUsageError extends Error {}

export interface WorkerCommandOptions {
  readonly queue: string
  readonly jobs: number
  readonly backend: BackendName | null
  readonly configPath: string
  readonly lockMs: number
}

export function parseWorkerArgs(argv: string[], cwd: string): WorkerCommandOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      queue: { type: 'string' },
      jobs: { type: 'string' },
      backend: { type: 'string' },
      config: { type: 'string' },
      'lock-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  if (!values.queue) throw new WorkerUsageError('worker: --queue <url> is required')
  const int = (name: string, v: string | undefined, dflt: number) => {
    if (v === undefined) return dflt
    const n = Number(v)
    if (!Number.isInteger(n) || n <= 0) throw new WorkerUsageError(`worker: --${name}: got "${v}"; expected a positive integer`)
    return n
  }
  const backend = (values.backend ?? null) as BackendName | null
  if (backend !== null && !BACKEND_NAMES.includes(backend)) {
    throw new WorkerUsageError(`worker: --backend: got "${values.backend}"; expected one of ${BACKEND_NAMES.join(', ')}`)
  }
  return {
    queue: values.queue,
    jobs: int('jobs', values.jobs, availableParallelism()),
    backend,
    configPath: findConfigFile(cwd, values.config),
    lockMs: int('lock-ms', values['lock-ms'], 30_000),
  }
}

/** Runs a worker until SIGINT/SIGTERM; resolves with the exit code. */
export async function runWorker(options: WorkerCommandOptions, log: (line: string) => void = (l) => console.error(l)): Promise<number> {
  const address = parseQueueUrl(options.queue)
  const config = await loadConfig(options.configPath)
  const revision = codeRevision()
  const pool = new WorkerPool(options.jobs, options.configPath)

  /** Refuses a run this worker would compute differently from the coordinator's intent. */
  const check = (data: QueuedRun): RunJob => {
    if (data.revision !== revision) {
      throw new UnrecoverableError(
        `refused by a worker on other code: the coordinator runs ${data.revision}, this worker ${revision}; check out the same commit (and the same local changes) on every machine`,
      )
    }
    const { job } = data
    const suite = config.suites.find((s) => s.name === job.suite)
    if (!suite) throw new UnrecoverableError(`refused: suite "${job.suite}" is not in this worker's config ${options.configPath}`)
    const arm = findArm(suite, job.arm)
    const hash = armConfigHash(suite, arm, job.hp, job)
    if (hash !== job.configHash) {
      throw new UnrecoverableError(
        `refused: ${job.suite}/${job.arm} has settings hash ${hash} in this worker's config ${options.configPath}, the coordinator's is ${job.configHash}; use the same config file on every machine`,
      )
    }
    if (job.backend === 'auto' && options.backend) return { ...job, backend: options.backend }
    if (options.backend && job.backend !== options.backend) {
      // Another worker may serve this backend: a plain error, so the run is retried elsewhere.
      throw new Error(`this worker runs ${options.backend}; the run asks for ${job.backend}`)
    }
    return job
  }

  // Start the run processes before taking runs, so no run waits on a process start.
  await pool.warm()
  const worker = new Worker<QueuedRun, QueuedResult, string>(
    QUEUE_NAME,
    async (bull) => {
      const job = check(bull.data)
      // attemptsStarted counts a start after a killed worker too (attemptsMade counts failures only).
      log(`worker: ${job.suite}/${job.arm}/seed ${job.seed} (start ${bull.attemptsStarted}, attempt ${bull.attemptsMade + 1})`)
      let last = 0
      return pool.run(job, (step) => {
        const now = Date.now()
        if (now - last < 500) return
        last = now
        bull.updateProgress(step).catch(() => {}) // progress is best-effort; the result is not
      })
    },
    {
      connection: address.connection,
      concurrency: options.jobs,
      lockDuration: options.lockMs,
      stalledInterval: Math.max(1000, Math.floor(options.lockMs / 2)),
      // A run whose worker died is retried; one that keeps killing workers ends as failed.
      maxStalledCount: 2,
    },
  )
  worker.on('failed', (bull, err) => {
    if (bull) log(`worker: ${bull.data.job.suite}/${bull.data.job.arm}/seed ${bull.data.job.seed} failed: ${err.message}`)
  })
  // A worker waits for Redis as long as it takes, saying so once per outage, not once per retry.
  let lastError: string | null = null
  worker.on('error', (err) => {
    if (err.message !== lastError) log(`worker: ${err.message}${/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET/.test(err.message) ? `; waiting for Redis at ${address.display}` : ''}`)
    lastError = err.message
  })
  worker.on('ready', () => (lastError = null))
  worker.on('active', () => (lastError = null))
  log(`worker: ready, ${options.jobs} job(s) at a time on ${address.display}, revision ${revision}, config ${options.configPath}`)

  return new Promise<number>((resolve) => {
    const stop = () => {
      log('worker: stopping; runs in progress are abandoned and will be retried by another worker')
      pool.kill()
      worker.close(true).finally(() => resolve(130))
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

export async function workerMain(argv: string[]): Promise<number> {
  let options
  try {
    const parsed = parseWorkerArgs(argv, process.cwd())
    if (parsed === 'help') {
      console.log(WORKER_HELP)
      return 0
    }
    options = parsed
    parseQueueUrl(options.queue)
  } catch (e) {
    if (e instanceof WorkerUsageError || e instanceof ConfigError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`converge-bench ${(e as Error).message}\nRun with worker --help for usage.`)
      return 2
    }
    throw e
  }
  return runWorker(options)
}
