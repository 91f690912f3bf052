/**
 * Learning-rate sweep for the arms of the FRUGAL bench suite: every arm × learning rate × seed on
 * the suite's char-LM task, each run appended as one JSON line; `--report` prints a table.
 *
 *   npx tsx packages/tricks/frugal/bench/lr-sweep.ts --out /tmp/frugal-sweep.jsonl [--shard 0/2]
 *   npx tsx packages/tricks/frugal/bench/lr-sweep.ts --report /tmp/frugal-sweep.jsonl
 *
 * Options: --arms adam,frugal-svd,... (suite arms, or the extra variants below)
 *          --lrs 1e-3,3e-3,1e-2 (default: per arm, below)
 *          --seeds 1,2  --steps 3000  --eval-every 50  --backend wasm  --shard k/n (run every n-th job)
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { charLm } from '@converge/tasks'
import { bestMetric, train, type Target } from '@converge/core'
import { collectStateBytes, FRUGAL_ARMS, FRUGAL_TASK_OPTIONS, type FrugalArmDefinition } from '../src/bench-suite.js'
import { frugal } from '../src/frugal.js'

/** Default grid: three rates a factor ~3 apart around Adam's usual 3e-3; GaLore-like one step higher (its README uses 1e-2 with scale 0.25). */
const DEFAULT_LRS: Record<string, number[]> = {
  'galore-like': [3e-3, 1e-2, 3e-2],
}
const GRID = [1e-3, 3e-3, 1e-2]

/**
 * Variants of FRUGAL-svd that probe its other rate knobs (not suite arms): a smaller state-free
 * rate (the paper's fine-tuning recipe uses 0.1) and a shorter refresh gap. Selected with --arms.
 */
const EXTRA_ARMS: readonly FrugalArmDefinition[] = [
  { name: 'frugal-svd-sf0.3', description: 'svd, state-free lr scale 0.3', learningRate: 3e-3, make: () => frugal({ subspace: 'svd', stateFree: 'signsgd', stateFreeLrScale: 0.3 }) },
  { name: 'frugal-svd-sf0.1', description: 'svd, state-free lr scale 0.1', learningRate: 3e-3, make: () => frugal({ subspace: 'svd', stateFree: 'signsgd', stateFreeLrScale: 0.1 }) },
  { name: 'frugal-svd-T100', description: 'svd, refresh every 100 steps', learningRate: 3e-3, make: () => frugal({ subspace: 'svd', stateFree: 'signsgd', updateGap: 100 }) },
  { name: 'frugal-columns-sf0.3', description: 'columns, state-free lr scale 0.3', learningRate: 3e-3, make: () => frugal({ subspace: 'columns', stateFree: 'signsgd', stateFreeLrScale: 0.3 }) },
  { name: 'frugal-blocks-sf0.3', description: 'blocks, state-free lr scale 0.3', learningRate: 3e-3, make: () => frugal({ subspace: 'blocks', blockOrder: 'descending', stateFree: 'signsgd', stateFreeLrScale: 0.3 }) },
  { name: 'rho0-sf0.3', description: 'ρ = 0, state-free lr scale 0.3', learningRate: 3e-3, make: () => frugal({ density: 0, stateFree: 'signsgd', stateFreeLrScale: 0.3 }) },
]

interface SweepRecord {
  arm: string
  lr: number
  seed: number
  steps: number
  floor: number
  history: [number, number][]
  best: number
  final: number
  stateBytes?: number
  stateBytesRatio?: number
  msPerStep: number
}

const { values } = parseArgs({
  options: {
    arms: { type: 'string' },
    lrs: { type: 'string' },
    seeds: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '3000' },
    'eval-every': { type: 'string', default: '50' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
    shard: { type: 'string', default: '0/1' },
    report: { type: 'string' },
    excess: { type: 'string', default: String(FRUGAL_TASK_OPTIONS.targetExcess) },
  },
})

const numbers = (s: string) => s.split(',').map(Number)

if (values.report) report(values.report, Number(values.excess))
else await sweep()

async function sweep(): Promise<void> {
  if (!values.out) throw new Error('--out <file.jsonl> is required')
  const all = [...FRUGAL_ARMS, ...EXTRA_ARMS]
  const arms = values.arms ? all.filter((a) => values.arms!.split(',').includes(a.name)) : FRUGAL_ARMS
  const seeds = numbers(values.seeds!)
  const steps = Number(values.steps)
  const evalEvery = Number(values['eval-every'])
  const [k, n] = values.shard!.split('/').map(Number) as [number, number]
  const jobs = arms.flatMap((a) => (values.lrs ? numbers(values.lrs) : (DEFAULT_LRS[a.name] ?? GRID)).flatMap((lr) => seeds.map((seed) => ({ a, lr, seed }))))
  const task = charLm(FRUGAL_TASK_OPTIONS)
  for (const [i, { a, lr, seed }] of jobs.entries()) {
    if (i % n !== k) continue
    const trick = a.make()
    const r = await train({
      task,
      tricks: [trick],
      optimizer: { name: 'adam', learningRate: lr },
      maxSteps: steps,
      evalEvery,
      seed,
      backend: values.backend as 'wasm',
    }).catch((e: Error) => {
      console.log(`${a.name} lr ${lr} seed ${seed}: ${e.message.split('\n')[0]}`)
      return null
    })
    if (!r) {
      appendFileSync(values.out, JSON.stringify({ arm: a.name, lr, seed, steps, diverged: true }) + '\n')
      continue
    }
    const extras = collectStateBytes([trick])
    const rec: SweepRecord = {
      arm: a.name,
      lr,
      seed,
      steps,
      floor: r.history[0]!.metrics.floor!,
      history: r.history.map((h) => [h.step, +h.metrics.loss!.toFixed(5)]),
      best: bestMetric(r.history, 'loss', 'min'),
      final: r.history.at(-1)!.metrics.loss!,
      ...(typeof extras.stateBytes === 'number' ? { stateBytes: extras.stateBytes } : {}),
      ...(typeof extras.stateBytesRatio === 'number' ? { stateBytesRatio: extras.stateBytesRatio } : {}),
      msPerStep: r.trainMs / r.steps,
    }
    appendFileSync(values.out, JSON.stringify(rec) + '\n')
    console.log(`${a.name.padEnd(15)} lr ${lr.toExponential(0)} seed ${seed}: best ${rec.best.toFixed(4)} final ${rec.final.toFixed(4)} (floor ${rec.floor.toFixed(4)}) ${rec.msPerStep.toFixed(1)} ms/step`)
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function report(file: string, excess: number): void {
  const recs = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SweepRecord & { diverged?: boolean })
  const groups = new Map<string, typeof recs>()
  for (const r of recs) {
    const key = `${r.arm}|${r.lr}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const floor = recs.find((r) => !r.diverged)?.floor ?? Number.NaN
  const target: Target = { metric: 'loss', direction: 'min', value: floor + excess }
  console.log(`target: loss <= floor ${floor.toFixed(4)} + ${excess} = ${target.value.toFixed(4)}\n`)
  console.log('| arm | lr | seeds | median best loss | median final loss | median steps to target | reached |')
  console.log('|---|---|---|---|---|---|---|')
  for (const [key, rs] of [...groups.entries()].sort()) {
    const [arm, lr] = key.split('|')
    const ok = rs.filter((r) => !r.diverged)
    const reach = ok.map((r) => r.history.find(([, loss]) => loss <= target.value)?.[0] ?? null)
    const reached = reach.filter((x): x is number => x !== null)
    // censored runs count as "after the budget" for the median
    const stepsMedian = reach.length ? median(reach.map((x) => x ?? Infinity)) : Infinity
    console.log(
      `| ${arm} | ${Number(lr).toExponential(0)} | ${rs.length} | ${ok.length ? median(ok.map((r) => r.best)).toFixed(4) : 'diverged'} | ` +
        `${ok.length ? median(ok.map((r) => r.final)).toFixed(4) : '-'} | ${Number.isFinite(stepsMedian) ? stepsMedian : 'not reached'} | ${reached.length}/${rs.length} |`,
    )
  }
}
