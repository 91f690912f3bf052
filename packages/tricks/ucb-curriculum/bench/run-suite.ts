/**
 * Runs the ucb-curriculum bench suites arm × seed with train() and prints, per arm, how many runs
 * reached the target, median steps and rollouts to target, the paired speed-up over the uniform
 * baseline (median ratio with a 95% bootstrap CI), and the share of slots each source received.
 *
 *   npx tsx packages/tricks/ucb-curriculum/bench/run-suite.ts [--suite helpful|coin|both|balanced|noisy] [--size quick|full]
 *       [--seeds N] [--max-steps N] [--arms uniform,ucb,...] [--target accuracy] [--json out.json]
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { stepsToTarget, train, type Target } from '@converge/core'
import { bootstrapMedianRatioCI, median, pairedSpeedups } from '@converge/bench'
import { armOptimizer, NO_HYPERPARAMS, type BenchSize, type BenchSuite, type RunExtras } from '@converge/core/suite'
import { BALANCED_MIXTURE, HELPFUL_MIXTURE, ucbBenchTask, ucbCoinControlSuite, ucbCurriculumSuite } from '../src/bench-suite.js'

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'both' },
    size: { type: 'string', default: 'quick' },
    seeds: { type: 'string' },
    'max-steps': { type: 'string' },
    arms: { type: 'string' },
    json: { type: 'string' },
    target: { type: 'string' },
  },
})
const size = values.size as BenchSize
/** Variants of the helpful suite that are not bench suites: no zero-advantage data, and a noisy verifier. */
const variants: Record<string, BenchSuite> = {
  balanced: {
    ...ucbCurriculumSuite,
    name: 'ucb-curriculum-balanced',
    description: 'three learnable sources, no saturated or unsolvable data',
    task: () => ucbBenchTask(BALANCED_MIXTURE, 0.9),
  },
  noisy: {
    ...ucbCurriculumSuite,
    name: 'ucb-curriculum-noisy',
    description: 'the helpful mixture with a verifier that accepts 10% of wrong answers (clean metric)',
    task: () => ucbBenchTask(HELPFUL_MIXTURE, 0.9, { verifier: { falsePositive: 0.1 } }),
  },
}
const named: Record<string, BenchSuite[]> = {
  helpful: [ucbCurriculumSuite],
  coin: [ucbCoinControlSuite],
  both: [ucbCurriculumSuite, ucbCoinControlSuite],
  balanced: [variants.balanced!],
  noisy: [variants.noisy!],
}
const suites = named[values.suite as string]
if (!suites) throw new Error(`--suite must be one of ${Object.keys(named).join(', ')}; got ${values.suite}`)
const fmt = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : v === Infinity ? 'not reached' : '–')
const out: Record<string, unknown> = {}

for (const suite of suites) {
  const cfg = suite.sizes[size]
  const seeds = Number(values.seeds ?? cfg.seeds)
  const maxSteps = Number(values['max-steps'] ?? cfg.maxSteps)
  const pinned = (suite.target as { target: Target }).target
  const target: Target = values.target === undefined ? pinned : { ...pinned, value: Number(values.target) }
  const perStep = suite.cost?.perStep ?? 1
  const armNames = values.arms ? values.arms.split(',') : suite.arms.map((a) => a.name)
  const started = performance.now()
  const rows: { arm: string; steps: number[]; extras: RunExtras[]; finals: number[]; msPerStep: number[] }[] = []
  console.log(`\n## ${suite.name} (${size}: ${seeds} seeds, maxSteps ${maxSteps}, evalEvery ${cfg.evalEvery}, target ${target.metric} ≥ ${target.value})`)
  for (const arm of suite.arms.filter((a) => armNames.includes(a.name))) {
    const row = { arm: arm.name, steps: [] as number[], extras: [] as RunExtras[], finals: [] as number[], msPerStep: [] as number[] }
    for (let seed = 1; seed <= seeds; seed++) {
      const tricks = arm.tricks(NO_HYPERPARAMS)
      const result = await train({ task: suite.task(size), tricks, seed, maxSteps, evalEvery: cfg.evalEvery, backend: 'wasm', ...(arm.optimizer ? { optimizer: armOptimizer(arm, NO_HYPERPARAMS)! } : {}) })
      const s = stepsToTarget(result.history, target)
      row.steps.push(s ?? Infinity)
      row.finals.push(result.history.at(-1)?.metrics[target.metric] ?? Number.NaN)
      row.msPerStep.push(result.trainMs / result.steps)
      row.extras.push(arm.collect ? arm.collect(tricks, result) : {})
      process.stderr.write(`  ${arm.name} seed ${seed}: steps-to-target ${s ?? 'not reached'}, final ${target.metric} ${row.finals.at(-1)?.toFixed(3)}\n`)
    }
    rows.push(row)
  }
  const base = rows.find((r) => r.arm === suite.baseline)
  console.log('| arm | reached | median steps | median rollouts | speed-up vs uniform (95% CI) | final acc (median) | ms/step | share of slots until the target (whole run if not reached) |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    const m = median(r.steps)
    const ci = base ? bootstrapMedianRatioCI(pairedSpeedups(base.steps, r.steps), { seed: `${suite.name}:${r.arm}` }) : null
    const shareKeys = Object.keys(r.extras[0] ?? {}).filter((k) => k.startsWith('targetShare/'))
    const shares = shareKeys.map((k) => `${k.slice('targetShare/'.length)} ${fmt(100 * median(r.extras.map((e) => e[k] as number)))}%`).join(', ')
    console.log(
      `| ${r.arm} | ${r.steps.filter(Number.isFinite).length}/${r.steps.length} | ${fmt(m)} | ${fmt(m * perStep)} | ` +
        `${ci ? `${fmt(ci.estimate, 2)} (${fmt(ci.low, 2)}–${fmt(ci.high, 2)})` : '–'} | ${fmt(median(r.finals), 3)} | ${fmt(median(r.msPerStep), 1)} | ${shares} |`,
    )
  }
  console.log(`per-seed steps-to-target: ${rows.map((r) => `${r.arm} [${r.steps.map((s) => (Number.isFinite(s) ? s : '∞')).join(', ')}]`).join('; ')}`)
  console.log(`wall time ${((performance.now() - started) / 1000).toFixed(0)} s`)
  out[suite.name] = { size, seeds, maxSteps, target, rows }
}
if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 1))
