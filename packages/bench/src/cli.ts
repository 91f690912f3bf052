/**
 * converge-bench: runs ablation suites and reports steps-to-target.
 *
 * Exit codes: 0 every run completed and every suite was summarised; 1 some runs failed (crashed)
 * or a suite could not be summarised; 2 usage or configuration error, a corrupt results file, a
 * locked output folder, a backend that cannot start or a queue's Redis unreachable for --queue-wait seconds; 130 interrupted (completed runs are kept;
 * rerunning the same command resumes).
 */
import { availableParallelism } from 'node:os'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BACKEND_NAMES, ConfigError, makeDir, makeWritableDir, nearestName, type BackendName } from '@converge/core'
import { findConfigFile, loadConfig, selectSuites } from './config.js'
import { WorkerPool, type Executor } from './executor.js'
import { lockOutput, OutputLockedError } from './lock.js'
import { CorruptResultsError } from './records.js'
import { sourceHash } from './source-hash.js'
import { CONSOLE_EXTRA_COLUMNS, fmtTarget, renderConsole, renderMarkdownExtras, renderMarkdownTable } from './format.js'
import { ProgressReporter } from './progress.js'
import type { QueueAddress } from './queue/connection.js'
import { planSuite, runAblation } from './runner.js'
import { writeIndexPage } from './html/index-page.js'
import { checkArmCapabilities } from './suite-checks.js'
import type { BenchSize, BenchSuite } from '@converge/core/suite'

const HELP = `converge-bench: ablations with tuned arms, paired seeds, steps-to-target, CIs, reports and plots

Usage: converge-bench [options]          (in this repository: pnpm bench [options])
       converge-bench worker --queue <url>   (runs queued jobs; see worker --help)

  --list               list the suites (with their arms) and exit
  --suite <names>      run only these suites (comma-separated; default: all but opt-in ones)
  --arms <names>       run only these arms (comma-separated; the baseline always runs)
  --quick              quick size (default): what 'pnpm bench' runs
  --full               full size: the numbers the method cards quote; every run is checkpointed
                       (not with --queue), so a killed bench resumes its runs midway
  --seeds <n>          paired seeds 1..n (default: the suite's size setting)
  --max-steps <n>      step budget per run (default: the suite's size setting)
  --eval-every <n>     evaluation interval in steps (default: the suite's size setting)
  --backend <name>     ${BACKEND_NAMES.join(' | ')} (default: auto)
  --stock-wasm         run WASM without converge's kernel fixes (for comparison)
  --jobs <n>           worker processes (default: number of cores, here ${availableParallelism()})
  --queue <url>        run through a Redis queue (redis://host:port[/db]) on \`converge-bench worker\`
                       processes, on this or other machines, instead of local workers; see
                       docs/scale-out.md and \`converge-bench worker --help\`
  --queue-wait <s>     with --queue: give up (exit 2) when Redis stays unreachable this long
                       (default 60)
  --out <dir>          output folder (default: bench-results); one subfolder per suite
  --fresh              ignore cached results: run every job again
  --drop-corrupt-lines move unreadable lines of results.jsonl to results.jsonl.corrupt and go on
  --config <file>      bench config (default: converge-bench.config.ts in the current folder)
  --help               this text

Outputs per suite: results.jsonl (one line per completed run, tuning runs included), report.md,
summary.json, SVG plots, report.html (interactive charts, works offline); <out>/report.md and
<out>/index.html index every suite in the folder (index.html as each suite finishes). Rerunning into the
same folder skips runs completed under the same settings and source code, so an interrupted bench
resumes where it stopped; runs made with other code are rerun.

Exit codes: 0 ok; 1 a run failed or a suite could not be summarised; 2 usage or config error,
corrupt results, output folder in use, backend cannot start, Redis (--queue) unreachable for
--queue-wait seconds; 130 interrupted.`

class UsageError extends Error {}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  // Digits only: Number() would read "0x10" as 16 and "1e1" as 10.
  const n = /^\d+$/.test(v.trim()) ? Number(v.trim()) : Number.NaN
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name}: got "${v}"; expected a positive integer (digits only)`)
  return n
}

function list(name: string, v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined
  const names = [v].flat().flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean)
  if (names.length === 0) throw new UsageError(`--${name}: got an empty list; give names separated by commas`)
  return names
}

/** Written straight to stderr: seen even when the process exits right after (Ctrl-C under pnpm). */
const sayNow = (line: string) => {
  try {
    writeSync(2, `${line}\n`)
  } catch {
    // stderr closed: nothing to tell
  }
}

/** The command line's options (parseArgs). */
const CLI_OPTIONS = {
  list: { type: 'boolean' },
  suite: { type: 'string', multiple: true },
  arms: { type: 'string', multiple: true },
  quick: { type: 'boolean' },
  full: { type: 'boolean' },
  seeds: { type: 'string' },
  'max-steps': { type: 'string' },
  'eval-every': { type: 'string' },
  backend: { type: 'string' },
  'stock-wasm': { type: 'boolean' },
  jobs: { type: 'string' },
  queue: { type: 'string' },
  'queue-wait': { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
  fresh: { type: 'boolean' },
  'drop-corrupt-lines': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** For an unknown option, the known one nearest to it (`--seed`: did you mean --seeds?). */
function nearestOption(e: unknown): string {
  if ((e as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return ''
  const unknown = /'--?([^']+)'/.exec((e as Error).message)?.[1]
  const near = unknown ? nearestName(unknown, Object.keys(CLI_OPTIONS)) : null
  return near ? ` (did you mean --${near}?)` : ''
}

export async function main(argv: string[]): Promise<number> {
  // Loaded on demand: a local bench never loads the queue client.
  if (argv[0] === 'worker') return (await import('./queue/worker-command.js')).workerMain(argv.slice(1))
  let values: ReturnType<typeof parse>['values']
  function parse() {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: CLI_OPTIONS,
    })
  }
  try {
    values = parse().values
  } catch (e) {
    console.error(`converge-bench: ${(e as Error).message}${nearestOption(e)}\nRun with --help for usage.`)
    return 2
  }
  if (values.help) {
    console.log(HELP)
    return 0
  }

  let config
  let configPath = values.config ?? 'converge-bench.config.ts'
  let size: BenchSize
  let seeds: number | undefined
  let maxSteps: number | undefined
  let evalEvery: number | undefined
  let jobs: number
  let backend: BackendName
  let queue: QueueAddress | null = null
  let queueWait: number | undefined
  try {
    if (values.quick && values.full) throw new UsageError('--quick and --full exclude each other')
    size = values.full ? 'full' : 'quick'
    seeds = positiveInt('seeds', values.seeds)
    maxSteps = positiveInt('max-steps', values['max-steps'])
    evalEvery = positiveInt('eval-every', values['eval-every'])
    jobs = positiveInt('jobs', values.jobs) ?? availableParallelism()
    backend = (values.backend ?? 'auto') as BackendName
    if (!BACKEND_NAMES.includes(backend)) throw new UsageError(`--backend: got "${values.backend}"; expected one of ${BACKEND_NAMES.join(', ')}`)
    if (values.queue !== undefined) {
      if (values.jobs !== undefined) throw new UsageError('--jobs and --queue exclude each other: with a queue, each worker sets its own --jobs')
      queue = (await import('./queue/connection.js')).parseQueueUrl(values.queue)
    }
    queueWait = positiveInt('queue-wait', values['queue-wait'])
    if (queueWait !== undefined && !queue) throw new UsageError('--queue-wait needs --queue')
    list('suite', values.suite)
    list('arms', values.arms)
    if (values.out !== undefined && existsSync(resolve(values.out)) && !statSync(resolve(values.out)).isDirectory()) {
      throw new UsageError(`--out: ${resolve(values.out)} is a file; pass a folder`)
    }
    configPath = findConfigFile(process.cwd(), values.config)
    config = await loadConfig(configPath)
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      console.error(`converge-bench: ${e.message}\nRun with --help for usage.`)
      return 2
    }
    throw e
  }

  const wanted = list('suite', values.suite)
  const unknown = (wanted ?? []).filter((n) => !config.suites.some((s) => s.name === n))
  if (unknown.length) {
    console.error(`converge-bench: --suite: no suite named ${unknown.map((n) => `"${n}"`).join(', ')} (suites: ${config.suites.map((s) => s.name).join(', ')})`)
    return 2
  }

  if (values.list) {
    for (const s of wanted ? config.suites.filter((x) => wanted.includes(x.name)) : config.suites) {
      console.log(`${s.name}${s.optIn ? ' (opt-in: runs only with --suite)' : ''}: ${s.description}`)
      const size = (c: BenchSuite['sizes']['quick']) => `${c.seeds} seeds x ${c.maxSteps} steps${c.arms ? ` (arms ${[s.baseline, ...c.arms.filter((a) => a !== s.baseline)].join(', ')})` : ''}`
      console.log(`  quick: ${size(s.sizes.quick)}; full: ${size(s.sizes.full)}`)
      for (const a of s.arms) console.log(`  - ${a.name}${a.name === s.baseline ? ' (baseline)' : ''}${a.description ? `: ${a.description}` : ''}`)
    }
    return 0
  }

  const suites = selectSuites(config.suites, wanted)
  if (suites.length === 0) {
    console.error(`converge-bench: every suite in ${configPath} is opt-in (${config.suites.map((s) => s.name).join(', ')}); name the ones to run with --suite`)
    return 2
  }
  const arms = list('arms', values.arms)
  if (arms) {
    const known = new Set(suites.flatMap((s) => s.arms.map((a) => a.name)))
    const missing = arms.filter((a) => !known.has(a))
    if (missing.length) {
      console.error(`converge-bench: --arms: no arm named ${missing.map((a) => `"${a}"`).join(', ')} in the selected suites`)
      return 2
    }
  }
  const out = resolve(values.out ?? 'bench-results')
  const selected = suites
    .map((suite) => ({ suite, arms: arms?.filter((a) => suite.arms.some((x) => x.name === a)) }))
    .filter((x) => !arms || x.arms?.length)
  const common = {
    size,
    ...(seeds ? { seeds } : {}),
    ...(maxSteps ? { maxSteps } : {}),
    ...(evalEvery ? { evalEvery } : {}),
    backend,
    tunedWasm: !values['stock-wasm'],
    out,
    fresh: Boolean(values.fresh),
    dropCorrupt: Boolean(values['drop-corrupt-lines']),
    // Full-size runs are long: checkpoint them so a killed bench resumes them midway. Queue workers
    // may sit on other machines, where the coordinator's folder does not exist.
    ...(size === 'full' && !queue ? { checkpoints: {} } : {}),
  }
  // Plan every selected suite before any run: bad grids, trick or task options fail here.
  let source: string
  try {
    source = sourceHash(configPath)
    for (const { suite, arms: a } of selected) {
      const plan = planSuite(suite, { ...common, ...(a ? { arms: a } : {}), sourceHash: source })
      await checkArmCapabilities(suite, plan.arms, size, plan.grids)
    }
  } catch (e) {
    console.error(`converge-bench: ${configPath}: ${(e as Error).message}`)
    return 2
  }

  let unlock: () => void
  try {
    makeWritableDir(out, '--out')
    unlock = lockOutput(out)
  } catch (e) {
    console.error(`converge-bench: ${(e as Error).message}`)
    return e instanceof OutputLockedError || e instanceof ConfigError ? 2 : 1
  }

  // Runs always go to worker processes, so this process stays responsive: Ctrl-C stops within a
  // moment whatever a run is doing, and nothing finished after it is recorded.
  const executor: Executor = queue ? await queueExecutor(queue, queueWait) : new WorkerPool(jobs, configPath)
  const progress = new ProgressReporter()
  // index.html lists the suites still to finish and reloads itself until none is: a long run can be watched.
  const order = config.suites.map((x) => x.name)
  const pending = selected.map((x) => x.suite.name)
  const abort = new AbortController()
  const onSignal = () => {
    abort.abort()
    progress.stop()
    executor.kill()
    unlock()
    writeIndexPage(out, { order })
    sayNow(`\nconverge-bench: interrupted. Completed runs are saved under ${out}; rerun the same command to resume.`)
    process.exit(130)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('SIGHUP', onSignal)

  const where = queue ? `queue ${queue.display}` : `${jobs} worker(s)`
  console.error(`converge-bench: ${selected.length} suite(s) at ${size} size, ${where}, backend ${backend}, output ${out}`)
  let status = 0
  writeIndexPage(out, { order, pending })
  try {
    for (const { suite, arms: suiteArms } of selected) {
      const outcome = await runAblation(suite, {
        ...common,
        ...(suiteArms ? { arms: suiteArms } : {}),
        sourceHash: source,
        executor,
        onEvent: progress.onEvent,
        signal: abort.signal,
      })
      if (outcome.aborted) return 130
      pending.shift()
      writeIndexPage(out, { order, pending })
      if (outcome.failures.length) status = 1
      if (outcome.summary) {
        console.log(`\n${renderConsole(outcome.summary)}\n  report: ${join(outcome.outDir, 'report.md')}\n`)
        makeDir(outcome.outDir, '--out')
        const extras = renderMarkdownExtras(outcome.summary, CONSOLE_EXTRA_COLUMNS)
        writeFileSync(
          join(outcome.outDir, 'table.md'),
          `Target: ${fmtTarget(outcome.summary)}.\n\n${renderMarkdownTable(outcome.summary)}\n${extras ? `\nCollected per arm (medians over seeds):\n\n${extras}\n` : ''}`,
        )
      } else {
        console.log(`\n${suite.name}: no completed baseline runs, so no report`)
        status = 1
      }
    }
  } catch (e) {
    progress.stop()
    const err = e as Error
    if (err instanceof CorruptResultsError) {
      console.error(`converge-bench: ${err.message}`)
      return 2
    }
    if (err.name === 'ConfigError') {
      console.error(`converge-bench: ${configPath}: ${err.message}`)
      return 2
    }
    if (err.name === 'QueueUnavailableError') {
      console.error(`converge-bench: ${err.message}`)
      return 2
    }
    if (err.name === 'BackendError') {
      console.error(`converge-bench: ${err.message}\nStopped at the first run: every run would fail the same way. Pick another --backend.`)
      return 2
    }
    throw e
  } finally {
    progress.stop()
    if (pending.length) writeIndexPage(out, { order }) // stopped early: the index no longer waits for the rest
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('SIGHUP', onSignal)
    if (!abort.signal.aborted) await executor.close()
    unlock()
  }
  writeIndex(out, config.suites.map((x) => x.name))
  console.error(`converge-bench: done; index ${join(out, 'report.md')}, interactive ${join(out, 'index.html')}`)
  return status
}

/** The coordinator's executor: runs go onto the queue at `address`, records come back from workers. */
async function queueExecutor(address: QueueAddress, waitSeconds: number | undefined): Promise<Executor> {
  const { QueueExecutor } = await import('./queue/queue-executor.js')
  const { codeRevision } = await import('./queue/revision.js')
  return new QueueExecutor(address, {
    revision: codeRevision(),
    onRedis: (line) => console.error(`converge-bench: ${line}`),
    ...(waitSeconds ? { redisGiveUpMs: waitSeconds * 1000 } : {}),
    onNoWorkers: () =>
      console.error(`converge-bench: no worker is connected to ${address.display} yet; start one with: converge-bench worker --queue ${address.display}`),
  })
}

/** <out>/report.md: every suite found in the folder (configured suites first, in order), with its table and a link to its report. */
function writeIndex(out: string, order: readonly string[]): void {
  if (!existsSync(out)) return
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length)
  const sections = readdirSync(out, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(out, d.name, 'table.md')))
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name))
    .map((d) => `## ${d.name}\n\n${readFileSync(join(out, d.name, 'table.md'), 'utf8')}\nFull report: [${d.name}/report.md](${d.name}/report.md)\n`)
  writeFileSync(join(out, 'report.md'), `# converge bench results\n\n${sections.join('\n')}`)
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '')
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`converge-bench: ${e.stack ?? e.message}`)
      process.exit(1)
    },
  )
}
