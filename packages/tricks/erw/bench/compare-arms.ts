/**
 * Pairwise comparisons of a finished `erw` bench run, beyond "every arm vs baseline": steps to the
 * bench's target (baseline median best FD loosened by 10%), raw and cost-weighted (a warm-up step
 * counts `warmupCost` of a main step), for D vs A, D vs B, D vs C, E vs A and E vs D, with paired
 * bootstrap CIs; plus the arms' final sample accuracy, probe accuracy and v-loss.
 *
 *   npx tsx packages/tricks/erw/bench/compare-arms.ts <out>/erw/results.jsonl
 */
import { bestMetric, costWeightedSteps, stepsToTarget } from '@converge/core'
import { bootstrapMedianRatioCI, median, pairedSpeedups, readRecords, targetFromBaseline, type RunRecord } from '@converge/bench'

const file = process.argv[2]
if (!file) throw new Error('usage: compare-arms.ts <results.jsonl>')
const records = readRecords(file)
const arms = [...new Set(records.map((r) => r.arm))]
const byArm = (arm: string) => records.filter((r) => r.arm === arm).sort((a, b) => a.seed - b.seed)
const target = targetFromBaseline(byArm('A-baseline').map((r) => r.result.history), 'fd', 'min', 0.1)
console.log(`target: fd ≤ ${target.value.toFixed(2)} (baseline median best ${target.baselineMedianBest.toFixed(2)}), seeds ${[...new Set(records.map((r) => r.seed))].join(',')}`)

const steps = (r: RunRecord, weighted: boolean): number => {
  const s = stepsToTarget(r.result.history, target)
  if (s === null) return Number.POSITIVE_INFINITY
  if (!weighted) return s
  const w = Number(r.extras.warmupSteps ?? 0)
  const c = Number(r.extras.warmupCost ?? 1)
  return costWeightedSteps(w > 0 ? [{ name: 'erw-warmup', startStep: 0, endStep: w, cost: c }, { name: 'main', startStep: w, endStep: r.result.steps, cost: 1 }] : [{ name: 'main', startStep: 0, endStep: r.result.steps, cost: 1 }], s)
}

console.log('\narm                   steps to target (per seed)        cost-weighted          best fd (median)  final sampleAcc  final probeAcc  final vloss')
for (const arm of arms) {
  const rs = byArm(arm)
  const fmt = (xs: number[]) => xs.map((x) => (Number.isFinite(x) ? x.toFixed(0) : '—')).join(' / ')
  const med = (k: string) => median(rs.map((r) => Number(r.extras[k]))).toFixed(3)
  console.log(
    `${arm.padEnd(22)}${fmt(rs.map((r) => steps(r, false))).padEnd(34)}${fmt(rs.map((r) => steps(r, true))).padEnd(23)}${median(rs.map((r) => bestMetric(r.result.history, 'fd', 'min'))).toFixed(1).padEnd(18)}${med('finalSampleAcc').padEnd(17)}${med('finalProbeAcc').padEnd(16)}${med('finalVloss')}`,
  )
}

console.log('\nfewer steps (ratio other/arm; > 1 means the first arm is faster) [95% bootstrap CI over seed pairs]')
const pairs: [string, string][] = [['D-erw', 'A-baseline'], ['D-erw', 'B-repa'], ['D-erw', 'C-repa-erw-lambda'], ['B-repa', 'A-baseline'], ['C-repa-erw-lambda', 'A-baseline'], ['E-erw-random-teacher', 'A-baseline'], ['D-erw', 'E-erw-random-teacher']]
for (const [arm, other] of pairs) {
  if (!arms.includes(arm) || !arms.includes(other)) continue
  for (const weighted of [false, true]) {
    const ci = bootstrapMedianRatioCI(pairedSpeedups(byArm(other).map((r) => steps(r, weighted)), byArm(arm).map((r) => steps(r, weighted))), { seed: `${arm}/${other}/${weighted}` })
    console.log(`${arm} vs ${other}${weighted ? ' (cost-weighted)' : ''}: ${ci.estimate.toFixed(2)}x [${ci.low.toFixed(2)}, ${ci.high.toFixed(2)}], n = ${ci.n}`)
  }
}
