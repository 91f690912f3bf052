/**
 * The distributed bench against a real redis-server on a free loopback port: a queued bench gives
 * the same numbers as a local one, and survives a killed worker, a killed coordinator and a Redis
 * restart, recording each run exactly once; a deterministic failure ends after bounded attempts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BenchProcess, coordinator, hasRedis, QUEUE_CONFIG, RedisServer, worker, ALTERED_CONFIG } from './harness.js'

interface Line {
  arm: string
  seed: number
  result: { steps: number; history: { step: number; metrics: Record<string, number> }[] }
}
const readLines = (out: string, suite = 'queued'): Line[] =>
  readFileSync(join(out, suite, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line)
const numbers = (lines: Line[]) =>
  lines
    .map((l) => ({ run: `${l.arm}/${l.seed}`, steps: l.result.steps, metrics: l.result.history.map((h) => [h.step, h.metrics]) }))
    .sort((a, b) => a.run.localeCompare(b.run))

if (!hasRedis && process.env.CI) throw new Error('redis-server is not installed; .ci/run installs it (apt-get install redis-server)')

// Real processes, a real server and kills at chosen moments: on a loaded 2-core machine a test
// here failed about once in five file runs (coordinator exit 1 after a kill or a Redis restart;
// the assertion messages print every process's output for the next look). One retry, so that a
// timing accident does not hide the rest of CI; a failure that repeats still fails. QUEUE_TEST_RETRY=0
// runs without it (scripts/queue-test-loop.sh counts passes over repeated file runs).
describe.skipIf(!hasRedis)('bench on a Redis queue (real redis-server)', { timeout: 240_000, retry: Number(process.env.QUEUE_TEST_RETRY ?? 1) }, () => {
  let redis: RedisServer
  const procs: BenchProcess[] = []
  const dirs: string[] = []
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'cb-queue-'))
    dirs.push(d)
    return d
  }
  const track = (p: BenchProcess) => (procs.push(p), p)

  beforeAll(async () => {
    redis = await RedisServer.start()
  })
  // Each test gets its own Redis database, so finished jobs of one test are not found by the next.
  let db = 0
  let queue = ''
  beforeEach(() => {
    queue = `${redis.url}/${++db}`
  })
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => (p.kill(), p.exited)))
  })
  afterAll(async () => {
    await redis?.dispose()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('two workers produce the same runs as a local bench, each recorded once', async () => {
    const local = tmp()
    const queued = tmp()
    const localRun = track(BenchProcess.spawn(['--config', QUEUE_CONFIG, '--suite', 'queued', '--jobs', '1', '--out', local]))
    expect(await localRun.exited, `local bench:\n${localRun.output}`).toBe(0)
    const w1 = track(worker(queue))
    const w2 = track(worker(queue))
    const coord = track(coordinator(queue, queued))
    expect(await coord.exited, `coordinator:\n${coord.output}\nworker 1:\n${w1.output}\nworker 2:\n${w2.output}`).toBe(0)
    const lines = readLines(queued)
    expect(lines).toHaveLength(4)
    expect(numbers(lines)).toEqual(numbers(readLines(local)))
  })

  it('a worker killed with SIGKILL mid-run: another worker retries the run, recorded once', async () => {
    const out = tmp()
    const doomed = track(worker(queue))
    const coord = track(coordinator(queue, out))
    await doomed.waitFor(/worker: queued\/\w+\/seed \d \(start 1,/)
    await new Promise((r) => setTimeout(r, 500)) // mid-run
    doomed.kill('SIGKILL')
    const rescuer = track(worker(queue))
    expect(await coord.exited, `coordinator:\n${coord.output}\nrescuer:\n${rescuer.output}`).toBe(0)
    expect(rescuer.output).toMatch(/\(start 2,/) // the killed run, started again
    const lines = readLines(out)
    expect(lines).toHaveLength(4)
    expect(new Set(lines.map((l) => `${l.arm}/${l.seed}`)).size).toBe(4)
  })

  it('a coordinator killed and restarted collects finished runs and waits for the rest, no duplicates', async () => {
    const out = tmp()
    const w = track(worker(queue))
    const first = track(coordinator(queue, out))
    // One run at a time: a second run starting means the first finished on the queue.
    await w.waitFor(/\(start 1,[\s\S]*\(start 1,/)
    first.kill('SIGKILL')
    const second = track(coordinator(queue, out))
    expect(await second.exited, `first coordinator (killed):\n${first.output}\nsecond coordinator:\n${second.output}\nworker:\n${w.output}`).toBe(0)
    const lines = readLines(out)
    expect(lines).toHaveLength(4)
    expect(new Set(lines.map((l) => `${l.arm}/${l.seed}`)).size).toBe(4)
  })

  it('Redis restarted during a run: workers and coordinator reconnect and finish', async () => {
    const out = tmp()
    const w = track(worker(queue))
    const coord = track(coordinator(queue, out))
    await w.waitFor(/\(start 1,/)
    await redis.restart(1000)
    expect(await coord.exited, `coordinator:\n${coord.output}\nworker:\n${w.output}`).toBe(0)
    const lines = readLines(out)
    expect(lines).toHaveLength(4)
    expect(new Set(lines.map((l) => `${l.arm}/${l.seed}`)).size).toBe(4)
  })

  it('a deterministic failure is recorded as failed after a bounded number of attempts', async () => {
    const out = tmp()
    const w = track(worker(queue))
    const coord = track(BenchProcess.spawn(['--queue', queue, '--config', QUEUE_CONFIG, '--suite', 'queued-failing', '--out', out]))
    expect(await coord.exited, `coordinator:\n${coord.output}\nworker:\n${w.output}`).toBe(1)
    expect(coord.output).toMatch(/broken\/seed 1 failed after 3 attempt\(s\) on the queue: broken on purpose/)
    expect(w.output.match(/queued-failing\/broken\/seed 1 \(start \d, attempt \d\)/g)).toHaveLength(3)
    expect(readLines(out, 'queued-failing').map((l) => l.arm)).toEqual(['adam'])
  })

  it('a worker with other settings refuses the runs, once, with the reason', async () => {
    const out = tmp()
    const w = track(worker(queue, '--config', ALTERED_CONFIG))
    const coord = track(coordinator(queue, out, '--arms', 'sgd'))
    await coord.waitFor(/failed after 1 attempt\(s\) on the queue: refused: queued\/sgd has settings hash \w+ in this worker's config/)
    expect(w.output).toMatch(/use the same config file on every machine/)
  })
})
