/**
 * Learning-rate sweep for the arms of the noisy-reward bench suites, on tuning seeds disjoint from
 * the reported ones (the bench reports seeds 1..n; this sweep uses 101, 102, ... by default). Every
 * arm gets the same grid and the same seeds; each run stops at the suite's target and is appended
 * as one JSON line; `--report` prints median steps-to-target per arm × rate and each arm's winner.
 *
 *   npx tsx packages/tricks/noisy-reward/bench/lr-sweep.ts --suite noisy-reward --out /tmp/nr-sweep.jsonl
 *   npx tsx packages/tricks/noisy-reward/bench/lr-sweep.ts --report /tmp/nr-sweep.jsonl
 *
 * Options: --arms clean,noisy,...  --lrs 0.5,1,2,4,8  --seeds 101,102  --steps 800
 *          --backend wasm  --shard k/n (run every n-th job, for parallel processes)
 * A run that never reaches the target counts as `steps + 1` in the median (ties broken by the
 * lower rate); a diverged run likewise.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { NonFiniteLossError, stepsToTarget, train, type BackendName, type EvalRecord, type OptimizerSpec, type Target } from '@converge/core'
import { armOptimizer, NO_HYPERPARAMS, type BenchSuite } from '@converge/core/suite'
import { noisyRewardNullSuite, noisyRewardPerSourceSuite, noisyRewardSuite } from '../src/bench-suite.js'

const SUITES: readonly BenchSuite[] = [noisyRewardSuite, noisyRewardNullSuite, noisyRewardPerSourceSuite]

interface Row {
  suite: string
  arm: string
  lr: number
  seed: number
  steps: number | null
  maxSteps: number
  diverged: boolean
}

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'noisy-reward' },
    arms: { type: 'string' },
    lrs: { type: 'string', default: '0.5,1,2,4,8' },
    seeds: { type: 'string', default: '101,102' },
    steps: { type: 'string', default: '800' },
    backend: { type: 'string', default: 'wasm' },
    shard: { type: 'string', default: '0/1' },
    out: { type: 'string' },
    report: { type: 'string' },
  },
})

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

function report(path: string): void {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Row)
  const bySuite = new Map<string, Row[]>()
  for (const r of rows) bySuite.set(r.suite, [...(bySuite.get(r.suite) ?? []), r])
  for (const [suite, rs] of bySuite) {
    const lrs = [...new Set(rs.map((r) => r.lr))].sort((a, b) => a - b)
    const arms = [...new Set(rs.map((r) => r.arm))]
    console.log(`\n${suite}: median steps to target over seeds (censored = steps + 1; "—" not reached by the median)`)
    console.log(`| arm | ${lrs.map((l) => `lr ${l}`).join(' | ')} | winner |`)
    console.log(`|---|${lrs.map(() => '---|').join('')}---|`)
    for (const arm of arms) {
      let best: { lr: number; m: number } | null = null
      const cells = lrs.map((lr) => {
        const runs = rs.filter((r) => r.arm === arm && r.lr === lr)
        if (!runs.length) return ' '
        const m = median(runs.map((r) => (r.steps === null ? r.maxSteps + 1 : r.steps)))
        if (!best || m < best.m) best = { lr, m }
        const reached = runs.filter((r) => r.steps !== null).length
        return `${m > (runs[0] as Row).maxSteps ? '—' : m} (${reached}/${runs.length})`
      })
      const b = best as { lr: number; m: number } | null
      console.log(`| ${arm} | ${cells.join(' | ')} | ${b ? b.lr : ''} |`)
    }
  }
}

async function sweep(): Promise<void> {
  const suite = SUITES.find((s) => s.name === values.suite)
  if (!suite) throw new RangeError(`unknown suite "${values.suite}" (known: ${SUITES.map((s) => s.name).join(', ')})`)
  const armNames = values.arms ? values.arms.split(',') : suite.arms.map((a) => a.name)
  const lrs = values.lrs.split(',').map(Number)
  const seeds = values.seeds.split(',').map(Number)
  const maxSteps = Number(values.steps)
  const [k, n] = values.shard.split('/').map(Number) as [number, number]
  const target = suite.target.kind === 'explicit' ? (suite.target.target as Target) : null
  if (!target) throw new RangeError('the sweep needs a suite with an explicit target')
  const evalEvery = suite.sizes.quick.evalEvery
  let job = 0
  for (const seed of seeds) {
    for (const lr of lrs) {
      for (const name of armNames) {
        if (job++ % n !== k) continue
        const arm = suite.arms.find((a) => a.name === name)
        if (!arm) throw new RangeError(`suite "${suite.name}" has no arm "${name}"`)
        const base = armOptimizer(arm, NO_HYPERPARAMS) as OptimizerSpec
        const history: EvalRecord[] = []
        let diverged = false
        try {
          await train({
            task: (arm.task ?? suite.task)('quick'),
            tricks: arm.tricks(NO_HYPERPARAMS),
            optimizer: { ...base, learningRate: lr },
            seed,
            maxSteps,
            evalEvery,
            target,
            stopAtTarget: true,
            backend: values.backend as BackendName,
            onEval: (rec) => void history.push(rec),
          })
        } catch (e) {
          if (!(e instanceof NonFiniteLossError)) throw e
          diverged = true
        }
        const row: Row = { suite: suite.name, arm: name, lr, seed, steps: diverged ? null : stepsToTarget(history, target), maxSteps, diverged }
        if (values.out) appendFileSync(values.out, `${JSON.stringify(row)}\n`)
        console.log(JSON.stringify(row))
      }
    }
  }
}

if (values.report) report(values.report)
else await sweep()
