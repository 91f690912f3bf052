import type { RunResult, Trick } from '@converge/core'
import { defineSuite, type ArmSpec, type BenchSuite, type RunExtras, type RunRecordLike, type SuitePlot } from '@converge/core/suite'
import { rlArithmetic, type RlArithmeticOptions } from '@converge/tasks'
import type { AllocationLog } from './allocation-log.js'
import { allocationRecorder } from './allocation-recorder.js'
import { oracleCurriculum } from './oracle-curriculum.js'
import { ucbCurriculum } from './ucb-curriculum.js'

const PROMPTS = 16
const GROUP = 8
const LEARNING_RATE = 1e-2

/**
 * The mixture where a curriculum should help: most of the data carries no gradient for most of
 * the run. Two sources saturate within a few dozen steps (then every group is all-correct), two are
 * far beyond the budget (answer spaces of 191 and 255: groups are almost always all wrong), and two
 * are learnable. Only the learnable ones count in the metric.
 */
export const HELPFUL_MIXTURE: NonNullable<RlArithmeticOptions['sources']> = [
  { name: 'add2', range: 2, role: 'saturated' },
  { name: 'add3', range: 3, role: 'saturated' },
  { name: 'add8', range: 8, role: 'learnable' },
  { name: 'add10', range: 10, role: 'learnable' },
  { name: 'add96', range: 96, poolSize: 256, role: 'unsolvable' },
  { name: 'add128', range: 128, poolSize: 256, role: 'unsolvable' },
]

/**
 * The known failure: a source whose reward is a fair coin whatever the answer. Its groups are
 * mixed at every step, so its mean |advantage| stays near the maximum and the sampler keeps
 * choosing it, although there is nothing to learn there.
 */
export const COIN_MIXTURE: NonNullable<RlArithmeticOptions['sources']> = [
  { name: 'add2', range: 2, role: 'saturated' },
  { name: 'add8', range: 8, role: 'learnable' },
  { name: 'add10', range: 10, role: 'learnable' },
  { name: 'coin', kind: 'coin', range: 6, role: 'control' },
]

/**
 * A mixture without zero-advantage data: three learnable sources and nothing else. Not a bench
 * suite; `bench/run-suite.ts --suite balanced` runs it to show where the curriculum has nothing
 * to gain.
 */
export const BALANCED_MIXTURE: NonNullable<RlArithmeticOptions['sources']> = [
  { name: 'add6', range: 6, role: 'learnable' },
  { name: 'add8', range: 8, role: 'learnable' },
  { name: 'add10', range: 10, role: 'learnable' },
]

/** A trick's allocation log, if it keeps one. */
function allocationOf(tricks: readonly Trick[]): AllocationLog | null {
  for (const t of tricks) {
    const log = (t as Partial<{ allocation: AllocationLog }>).allocation
    if (log) return log
  }
  return null
}

/**
 * What every arm records: the share of batch slots each source got over the whole run
 * (`share/<source>`), in its last quarter (`lateShare/<source>`) and until the task's target was
 * first met (`targetShare/<source>`, the whole run when it never was), and for plots the share per
 * evaluation interval (`alloc/<source>`, with `allocStep` the interval starts) and, for samplers,
 * the mean sampling probability per interval (`prob/<source>`).
 */
export function collectAllocation(tricks: readonly Trick[], result: RunResult): RunExtras {
  const log = allocationOf(tricks)
  if (!log || log.length === 0) return {}
  const trace = log.trace()
  const extras: Record<string, number | readonly number[]> = {}
  const all = log.shares()
  const late = log.shares(Math.floor((log.length * 3) / 4))
  const untilTarget = result.stepsToTarget
  const toTarget = log.shares(0, untilTarget === null ? log.length : trace.steps.filter((s) => s < untilTarget).length)
  for (const s of trace.sources) {
    extras[`share/${s}`] = all[s] as number
    extras[`lateShare/${s}`] = late[s] as number
    extras[`targetShare/${s}`] = toTarget[s] as number
  }
  const bin = result.evalEvery
  const bins = Math.ceil(result.steps / bin)
  const slotSums = trace.sources.map(() => new Array<number>(bins).fill(0))
  const probSums = trace.sources.map(() => new Array<number>(bins).fill(0))
  const slots = new Array<number>(bins).fill(0)
  const batches = new Array<number>(bins).fill(0)
  trace.steps.forEach((step, k) => {
    const b = Math.min(bins - 1, Math.floor(step / bin))
    const counts = trace.counts[k] as readonly number[]
    counts.forEach((c, i) => ((slotSums[i] as number[])[b] = ((slotSums[i] as number[])[b] as number) + c))
    slots[b] = (slots[b] as number) + counts.reduce((x, y) => x + y, 0)
    batches[b] = (batches[b] as number) + 1
    trace.probabilities?.[k]?.forEach((p, i) => ((probSums[i] as number[])[b] = ((probSums[i] as number[])[b] as number) + p))
  })
  extras.allocStep = Array.from({ length: bins }, (_, b) => b * bin)
  trace.sources.forEach((s, i) => {
    extras[`alloc/${s}`] = (slotSums[i] as number[]).map((v, b) => ((slots[b] as number) > 0 ? v / (slots[b] as number) : 0))
    if (trace.probabilities) extras[`prob/${s}`] = (probSums[i] as number[]).map((v, b) => ((batches[b] as number) > 0 ? v / (batches[b] as number) : 0))
  })
  return extras
}

/** Allocation over time per arm: the share of batch slots per source, averaged over seeds, stacked. */
export function allocationPlot(suite: string, records: readonly RunRecordLike[]): SuitePlot {
  const sums = new Map<string, { arm: string; step: number; source: string; share: number; n: number }>()
  for (const r of records.filter((x) => x.suite === suite)) {
    const steps = r.extras.allocStep
    if (!Array.isArray(steps)) continue
    for (const [key, values] of Object.entries(r.extras)) {
      if (!key.startsWith('alloc/') || !Array.isArray(values)) continue
      const source = key.slice('alloc/'.length)
      values.forEach((v, b) => {
        const step = steps[b] as number
        const id = `${r.arm}\u0000${source}\u0000${step}`
        const row = sums.get(id) ?? { arm: r.arm, step, source, share: 0, n: 0 }
        row.share += v
        row.n += 1
        sums.set(id, row)
      })
    }
  }
  const rows = [...sums.values()].map((r) => ({ arm: r.arm, step: r.step, source: r.source, share: r.share / r.n }))
  return {
    name: 'allocation',
    title: 'Share of batch slots per source over training (mean over seeds)',
    spec: {
      title: `${suite}: share of batch slots per source (mean over seeds)`,
      data: { values: rows },
      facet: { row: { field: 'arm', type: 'nominal', title: null } },
      spec: {
        width: 520,
        height: 110,
        mark: { type: 'area' },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'optimizer steps' },
          y: { field: 'share', type: 'quantitative', stack: 'normalize', title: 'share', axis: { format: '%' } },
          color: { field: 'source', type: 'nominal' },
        },
      },
    },
  }
}

/** The arms both suites compare. */
export const UCB_ARMS: readonly ArmSpec[] = [
  {
    name: 'uniform',
    description: 'the loop draws each slot’s source uniformly (an observer records the allocation)',
    tricks: () => [allocationRecorder()],
    collect: collectAllocation,
  },
  {
    name: 'ucb',
    description: 'DUMP UCB curriculum with the official constants (window 300, c = 1, τ = 0.1)',
    tricks: () => [ucbCurriculum()],
    collect: collectAllocation,
  },
  {
    name: 'ucb-tau1',
    description: 'UCB curriculum with τ = 1 (a much flatter softmax)',
    tricks: () => [ucbCurriculum({ temperature: 1 })],
    collect: collectAllocation,
  },
  {
    name: 'oracle',
    description: 'reference: slots ∝ exact P(mixed group) under the clean verifier, read from the task',
    tricks: () => [oracleCurriculum({ refreshEvery: 5 })],
    collect: collectAllocation,
  },
]

/** The suites' task: rl-arithmetic on `sources` with the suites' batch, group size and learning rate. */
export function ucbBenchTask(sources: NonNullable<RlArithmeticOptions['sources']>, targetAccuracy: number, extra: RlArithmeticOptions = {}) {
  return rlArithmetic({ sources, prompts: PROMPTS, groupSize: GROUP, learningRate: LEARNING_RATE, targetAccuracy, ...extra })
}

const HELPFUL_TARGET = 0.9
const COIN_TARGET = 0.9

/** A UCB suite: the shared arms, sizes and cost unit on one mixture, with an explicit accuracy target. */
function ucbSuite(name: string, description: string, sources: NonNullable<RlArithmeticOptions['sources']>, target: number, notes: string): BenchSuite {
  return defineSuite({
    name,
    description,
    task: () => ucbBenchTask(sources, target),
    arms: UCB_ARMS,
    baseline: 'uniform',
    sizes: {
      quick: { seeds: 3, maxSteps: 800, evalEvery: 25 },
      full: { seeds: 10, maxSteps: 1500, evalEvery: 25 },
    },
    target: { kind: 'explicit', target: { metric: 'accuracy', direction: 'max', value: target } },
    cost: { name: 'rollouts', perStep: PROMPTS * GROUP },
    plots: (records) => [allocationPlot(name, records)],
    notes: `${notes} Untuned: every arm trains with the same Adam ${LEARNING_RATE} (the curriculum changes which data is drawn, not the update), so the speed-ups are at one shared rate; a per-arm learning-rate tuning has not been run.`,
  })
}

/** UCB curriculum on a mixture dominated by saturated and unsolvable sources (where it should help). */
export const ucbCurriculumSuite: BenchSuite = ucbSuite(
  'ucb-curriculum',
  'DUMP UCB curriculum vs uniform source sampling on rl-arithmetic: 2 saturated, 2 learnable and 2 unsolvable sources; ' +
    `target: macro greedy accuracy ≥ ${HELPFUL_TARGET} on the learnable ones.`,
  HELPFUL_MIXTURE,
  HELPFUL_TARGET,
  `${PROMPTS} prompts × G = ${GROUP} per step, GRPO z-score advantages, REINFORCE with the group baseline, Adam ${LEARNING_RATE}. ` +
    'Uniform is the baseline; the oracle arm is a reference that reads the policy’s exact success rates, not a method.',
)

/** The coin-flip control: a source with irreducible reward noise captures the UCB sampler. */
export const ucbCoinControlSuite: BenchSuite = ucbSuite(
  'ucb-curriculum-coin',
  'Negative control for the DUMP UCB curriculum: a coin-flip-reward source beside 1 saturated and 2 learnable sources; ' +
    `target: macro greedy accuracy ≥ ${COIN_TARGET} on the learnable ones. Expected: UCB is slower than uniform.`,
  COIN_MIXTURE,
  COIN_TARGET,
  'The coin source’s reward ignores the answer: its mean |advantage| never falls, so UCB keeps sampling it. This is the method’s known blind spot.',
)
