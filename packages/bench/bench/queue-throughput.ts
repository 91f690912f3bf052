/**
 * Queue throughput: the same suites through `--jobs 2` (local workers) and through a Redis queue with
 * two `converge-bench worker --jobs 1` processes, alternating, each into a fresh output folder and a
 * fresh Redis database. Prints wall times per round and the queue/local ratio. The local bench is
 * timed from its start (its worker processes start inside it); the queued one from the moment both
 * workers report ready, since workers are long-lived (started once, serving many benches).
 *
 *   pnpm --filter @converge/bench bench:queue [--suite optimizer-sanity] [--rounds 2]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BenchProcess, RedisServer } from '../test/queue/harness.js'

const { values } = parseArgs({ options: { suite: { type: 'string' }, rounds: { type: 'string', default: '2' }, config: { type: 'string' } } })
const config = resolve(values.config ?? join(import.meta.dirname, '../../../converge-bench.config.ts'))
const suiteArgs = values.suite ? ['--suite', values.suite] : []
const redis = await RedisServer.start()
const dirs: string[] = []
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'cb-throughput-'))
  dirs.push(d)
  return d
}

async function local(): Promise<number> {
  const started = performance.now()
  const p = BenchProcess.spawn(['--config', config, ...suiteArgs, '--jobs', '2', '--out', fresh()])
  if ((await p.exited) !== 0) throw new Error(p.output)
  return (performance.now() - started) / 1000
}

let db = 0
/** Seconds from workers ready to report, and from worker start to report. */
async function queued(): Promise<[number, number]> {
  const queue = `${redis.url}/${++db}`
  const cold = performance.now()
  const workers = [0, 1].map(() => BenchProcess.spawn(['worker', '--queue', queue, '--config', config, '--jobs', '1']))
  // Workers are long-lived: timing starts when they are ready (see the header).
  await Promise.all(workers.map((w) => w.waitFor(/worker: ready/)))
  const started = performance.now()
  const p = BenchProcess.spawn(['--queue', queue, '--config', config, ...suiteArgs, '--out', fresh()])
  const code = await p.exited
  const seconds = (performance.now() - started) / 1000
  await Promise.all(workers.map((w) => w.stop()))
  if (code !== 0) throw new Error(p.output)
  return [seconds, (performance.now() - cold) / 1000]
}

try {
  const rows: [number, number, number][] = []
  for (let r = 0; r < Number(values.rounds); r++) {
    // Alternate which goes first, so machine drift hits both alike.
    let l: number
    let q: [number, number]
    if (r % 2 === 0) {
      l = await local()
      q = await queued()
    } else {
      q = await queued()
      l = await local()
    }
    rows.push([l, ...q])
    console.log(
      `round ${r + 1}: --jobs 2 ${l.toFixed(1)} s; queue, 2 ready workers ${q[0].toFixed(1)} s (ratio ${(q[0] / l).toFixed(3)}); ` +
        `queue incl. worker start ${q[1].toFixed(1)} s (ratio ${(q[1] / l).toFixed(3)})`,
    )
  }
  const sum = (i: 0 | 1 | 2) => rows.reduce((s, r) => s + r[i], 0)
  console.log(
    `total: --jobs 2 ${sum(0).toFixed(1)} s; queue ${sum(1).toFixed(1)} s (ratio ${(sum(1) / sum(0)).toFixed(3)}); ` +
      `incl. worker start ${sum(2).toFixed(1)} s (ratio ${(sum(2) / sum(0)).toFixed(3)})`,
  )
} finally {
  await redis.dispose()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
