/**
 * Runs the FRUGAL bench suite's arms × seeds with `train()` and reports, per arm, the median
 * steps-to-target, the paired speed-up against Adam, optimizer-state bytes and their ratio to
 * Adam's, and whether the goal holds (FRUGAL at ρ = 0.25 within 1.10× Adam's steps at ≤ 40% of its
 * state, and ahead of GaLore-like at equal memory).
 *
 *   npx tsx packages/tricks/frugal/bench/run-suite.ts --size full --out /tmp/frugal-full.jsonl --shard 0/2 &
 *   npx tsx packages/tricks/frugal/bench/run-suite.ts --size full --out /tmp/frugal-full.jsonl --shard 1/2
 *   npx tsx packages/tricks/frugal/bench/run-suite.ts --report /tmp/frugal-full.jsonl [--excess 0.5,0.45,0.4]
 *
 * Without --out it runs everything in this process and prints the report at the end.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { armOptimizer, NO_HYPERPARAMS, type BenchSize } from '@converge/core/suite'
import { bestMetric, stepsToTarget, train, type EvalRecord, type Target } from '@converge/core'
import { FRUGAL_TASK_OPTIONS, frugalSuite } from '../src/bench-suite.js'

interface Row {
  arm: string
  seed: number
  stepsToTarget: number | null
  best: number
  stateBytes: number
  stateBytesRatio: number
  msPerStep: number
  wallS: number
  history: [number, number][]
}

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'quick' },
    seeds: { type: 'string' },
    arms: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
    shard: { type: 'string', default: '0/1' },
    report: { type: 'string' },
    /** Report mode: also tabulate steps to floor + each of these excesses (comma-separated), from the histories. */
    excess: { type: 'string' },
  },
})

const target = (frugalSuite.target as { kind: 'explicit'; target: Target }).target

// (function declarations below are hoisted; the main program runs here)
if (values.report) printReport(readRows(values.report))
else {
  const rows = await run()
  if (!values.out) printReport(rows)
}

async function run(): Promise<Row[]> {
  const size = values.size as BenchSize
  const cfg = frugalSuite.sizes[size]
  const seeds = values.seeds ? values.seeds.split(',').map(Number) : Array.from({ length: cfg.seeds }, (_, i) => i + 1)
  const arms = values.arms ? frugalSuite.arms.filter((a) => values.arms!.split(',').includes(a.name)) : frugalSuite.arms
  const [k, n] = values.shard!.split('/').map(Number) as [number, number]
  const task = frugalSuite.task(size)
  const rows: Row[] = []
  const jobs = seeds.flatMap((seed) => arms.map((arm) => ({ arm, seed })))
  for (const [i, { arm, seed }] of jobs.entries()) {
    if (i % n !== k) continue
    const tricks = arm.tricks(NO_HYPERPARAMS)
    const started = performance.now()
    const result = await train({
      task,
      tricks,
      ...(arm.optimizer ? { optimizer: armOptimizer(arm, NO_HYPERPARAMS)! } : {}),
      maxSteps: cfg.maxSteps,
      evalEvery: cfg.evalEvery,
      seed,
      backend: values.backend as 'wasm',
    })
    const extras = arm.collect?.(tricks, result) ?? {}
    const row: Row = {
      arm: arm.name,
      seed,
      stepsToTarget: stepsToTarget(result.history, target),
      best: bestMetric(result.history, 'loss', 'min'),
      stateBytes: extras.stateBytes as number,
      stateBytesRatio: extras.stateBytesRatio as number,
      msPerStep: result.trainMs / result.steps,
      wallS: (performance.now() - started) / 1000,
      history: result.history.map((h: EvalRecord) => [h.step, +(h.metrics.loss as number).toFixed(5)]),
    }
    rows.push(row)
    if (values.out) appendFileSync(values.out, JSON.stringify(row) + '\n')
    console.log(
      `${row.arm.padEnd(15)} seed ${seed}: steps-to-target ${row.stepsToTarget ?? 'not reached'}  best ${row.best.toFixed(4)}  ` +
        `state ${row.stateBytes} B (${(100 * row.stateBytesRatio).toFixed(1)}% of Adam)  ${row.msPerStep.toFixed(1)} ms/step  ${row.wallS.toFixed(0)} s`,
    )
  }
  return rows
}

function readRows(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Median with censored runs (not reached) counted as +∞, as the bench does. */
function medianSteps(rows: Row[]): number {
  return median(rows.map((r) => r.stepsToTarget ?? Infinity))
}

function printReport(rows: Row[]): void {
  const arms = [...new Set(rows.map((r) => r.arm))]
  const byArm = (a: string) => rows.filter((r) => r.arm === a)
  const adam = byArm('adam')
  const adamSteps = medianSteps(adam)
  const fmt = (x: number) => (Number.isFinite(x) ? String(x) : 'not reached')
  console.log(`\ntarget: held-out loss <= ${target.value.toFixed(4)} nats/char\n`)
  console.log('| arm | median steps to target | reached | steps / Adam | paired speed-up (median) | median best loss | state bytes | state / Adam | ms/step |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const a of arms) {
    const rs = byArm(a)
    const steps = medianSteps(rs)
    // paired by seed: Adam's steps / this arm's steps (censored arm runs give 0, censored Adam runs are skipped)
    const paired = rs
      .map((r) => {
        const base = adam.find((x) => x.seed === r.seed)?.stepsToTarget
        if (base == null) return null
        return r.stepsToTarget == null ? 0 : base / r.stepsToTarget
      })
      .filter((x): x is number => x !== null)
    console.log(
      `| ${a} | ${fmt(steps)} | ${rs.filter((r) => r.stepsToTarget !== null).length}/${rs.length} | ${(steps / adamSteps).toFixed(2)} | ` +
        `${paired.length ? median(paired).toFixed(2) : '-'} | ${median(rs.map((r) => r.best)).toFixed(4)} | ${median(rs.map((r) => r.stateBytes))} | ` +
        `${(100 * median(rs.map((r) => r.stateBytesRatio))).toFixed(1)}% | ${median(rs.map((r) => r.msPerStep)).toFixed(1)} |`,
    )
  }
  const galore = medianSteps(byArm('galore-like'))
  console.log('\nGoal: FRUGAL ρ = 0.25 reaches the target in ≤ 1.10× Adam’s steps with ≤ 40% of Adam’s state bytes, and beats GaLore-like.')
  for (const a of arms.filter((x) => x.startsWith('frugal-'))) {
    const rs = byArm(a)
    const steps = medianSteps(rs)
    const ratio = median(rs.map((r) => r.stateBytesRatio))
    const okSteps = steps <= 1.1 * adamSteps
    const okBytes = ratio <= 0.4
    const beats = steps < galore
    console.log(
      `  ${a}: steps ${fmt(steps)} vs Adam ${fmt(adamSteps)} (${(steps / adamSteps).toFixed(2)}×) ${okSteps ? 'ok' : 'MISSED'}; ` +
        `state ${(100 * ratio).toFixed(1)}% ${okBytes ? 'ok' : 'MISSED'}; vs galore-like ${fmt(galore)} ${beats ? 'ahead' : 'NOT ahead'}`,
    )
  }
  if (values.excess) {
    const base = target.value - FRUGAL_TASK_OPTIONS.targetExcess // the source's held-out floor
    const excesses = values.excess.split(',').map(Number)
    console.log(`\nMedian steps to other targets (floor ${base.toFixed(4)} + excess), from the same runs; in brackets: ratio to Adam`)
    console.log(`| arm | ${excesses.map((e) => `≤ floor + ${e}`).join(' | ')} |`)
    console.log(`|---|${excesses.map(() => '---').join('|')}|`)
    const stepsAt = (rs: Row[], value: number) => median(rs.map((r) => r.history.find(([, loss]) => loss <= value)?.[0] ?? Infinity))
    for (const a of arms) {
      const cells = excesses.map((e) => {
        const st = stepsAt(byArm(a), base + e)
        const ad = stepsAt(adam, base + e)
        return `${fmt(st)}${Number.isFinite(st) && Number.isFinite(ad) ? ` (${(st / ad).toFixed(2)}×)` : ''}`
      })
      console.log(`| ${a} | ${cells.join(' | ')} |`)
    }
  }
  const cpu = rows.reduce((s, r) => s + r.wallS, 0)
  console.log(`\n${rows.length} runs, ${cpu.toFixed(0)} s of run time in total`)
}
