import { defineSuite, type ArmSpec, type BenchSuite, type RunExtras } from '@converge/core/suite'
import { rlArithmetic, type RlArithmeticOptions } from '@converge/tasks'
import type { OptimizerSpec, TaskDefinition, Trick } from '@converge/core'
import { noisyReward, type NoisyRewardOptions, type NoisyRewardStats } from './noisy-reward.js'

/** The noisy verifier of both suites: false negatives only (ρ0 = 0, ρ1 = 0.4), as rule-based verifiers err. */
export const SUITE_RHO1 = 0.4

const TASK: RlArithmeticOptions = {
  sources: [
    { name: 'add4', range: 4 },
    { name: 'add6', range: 6 },
  ],
  prompts: 16,
  groupSize: 8,
  hidden: 64,
  appeal: { truePositiveRate: 1, falsePositiveRate: 0 },
  targetAccuracy: 0.8,
}

const noisyTask = () => rlArithmetic({ ...TASK, verifier: { falseNegative: SUITE_RHO1 } })
const cleanTask = () => rlArithmetic(TASK)

/** Every arm runs a noisy-reward trick (`none` for the uncorrected ones), so all share one advantage pipeline. */
function arm(name: string, description: string, options: NoisyRewardOptions, extra: Partial<ArmSpec> = {}): ArmSpec {
  return {
    name,
    description,
    tricks: () => [noisyReward(options)],
    collect(tricks: readonly Trick[]): RunExtras {
      const stats = (tricks[0] as Trick & { stats: NoisyRewardStats }).stats
      if (options.rho1 !== 'appeals') return {}
      const trace = stats.rho1Trace
      const bySource = Object.fromEntries(Object.entries(stats.rho1BySource).map(([source, t]) => [`rho1Final/${source}`, t.at(-1) ?? 0]))
      return { rho1Final: trace.at(-1) ?? 0, ...bySource, appealCalls: stats.appealCalls, rho1Trace: trace.filter((_, i) => i % 10 === 0) }
    },
    ...extra,
  }
}

interface SuiteShape {
  readonly task?: () => TaskDefinition
  readonly maxSteps?: { quick: number; full: number }
  readonly evalEvery?: number
}

function suite(name: string, description: string, optimizer: OptimizerSpec, arms: ArmSpec[], seeds: { quick: number; full: number }, notes: string, shape: SuiteShape = {}): BenchSuite {
  const maxSteps = shape.maxSteps ?? { quick: 800, full: 1200 }
  const evalEvery = shape.evalEvery ?? 25
  return defineSuite({
    name,
    description,
    task: shape.task ?? (() => noisyTask() as never),
    baseline: 'noisy',
    arms: arms.map((a) => ({ optimizer, ...a })),
    sizes: {
      quick: { seeds: seeds.quick, maxSteps: maxSteps.quick, evalEvery },
      full: { seeds: seeds.full, maxSteps: maxSteps.full, evalEvery },
    },
    target: { kind: 'explicit', target: { metric: 'accuracy', direction: 'max', value: 0.8 } },
    cost: { name: 'rollouts', perStep: 16 * 8 },
    notes,
  })
}

const rho1 = SUITE_RHO1

const sgd = (learningRate: number): OptimizerSpec => ({ name: 'sgd', learningRate })

/**
 * Where the correction should matter: plain SGD at a learning rate tuned on clean rewards, with
 * mean-only advantages at a fixed scale. Noise shrinks the expected gradient by (1 − ρ1), which
 * at a fixed rate is a smaller step; the corrections restore the scale.
 */
/**
 * Each arm's learning rate in the main suite: the winner of `bench/lr-sweep.ts` (grid 1, 2, 4, 6,
 * 8, 12; tuning seeds 101–103, disjoint from the reported ones).
 */
export const MAIN_LR: Readonly<Record<string, number>> = {
  clean: 4,
  noisy: 6,
  backward: 4,
  forward: 4,
  'forward-rescaled': 4,
  'forward-rescaled-appeals': 2,
  'forward-rescaled-misspecified': 2,
}

export const noisyRewardSuite = suite(
  'noisy-reward',
  `GRPO on a verifier with ${rho1 * 100}% false negatives, SGD with every arm at its swept rate, mean-only advantages: does correcting the rewards recover the clean speed?`,
  { name: 'sgd', learningRate: 1 },
  [
    arm('clean', 'ceiling: the same task with an exact verifier', { correction: 'none' }, { task: () => cleanTask() as never }),
    arm('noisy', 'noisy verifier, uncorrected', { correction: 'none' }),
    arm('backward', `backward correction with the true rates (ρ0 = 0, ρ1 = ${rho1})`, { correction: 'backward', rho0: 0, rho1 }),
    arm('forward', `forward correction with the true ρ1 (the paper's weights ρ1, ρ1 − 1)`, { correction: 'forward', rho1 }),
    arm('forward-rescaled', 'forward weights divided by (1 − ρ1): exact under false-negative-only noise', { correction: 'forward', rho1, rescale: true }),
    arm('forward-rescaled-appeals', 'as forward-rescaled, ρ1 estimated online from appeals (25% of negatives re-checked)', {
      correction: 'forward',
      rho1: 'appeals',
      rescale: true,
      appeals: { rate: 0.25 },
    }),
    arm('forward-rescaled-misspecified', `as forward-rescaled with ρ1 = ${rho1 / 2} (half the true rate)`, { correction: 'forward', rho1: rho1 / 2, rescale: true }),
  ].map((a) => ({ ...a, optimizer: sgd(MAIN_LR[a.name] as number) })),
  { quick: 5, full: 10 },
  `Each arm runs SGD at its own learning rate, the winner of bench/lr-sweep.ts (grid 1, 2, 4, 6, 8, 12; tuning seeds 101–103, disjoint from the reported ones): ${Object.entries(MAIN_LR).map(([a, lr]) => `${a} ${lr}`).join(', ')}. The verifier drops ${rho1 * 100}% of correct answers (false negatives only). Every arm runs the noisy-reward trick (correction "none" for clean and noisy) so all share one advantage pipeline: group-centred rewards (forward: uncentred weights) at a fixed scale of 1, not one shared rate. The clean arm trains on the same task with an exact verifier; its seeds are paired with the others. Gap recovered = (noisy − arm) / (noisy − clean) in median steps.`,
)

/**
 * Where the correction should not matter: Adam with GRPO's per-group z-score. The z-score divides
 * out any positive affine map of the rewards, so backward and forward correction change the
 * advantages only through its 1e-6 epsilon.
 */
export const noisyRewardNullSuite = suite(
  'noisy-reward-null',
  `GRPO on a verifier with ${rho1 * 100}% false negatives, Adam with group z-scores: the corrections are expected to change nothing.`,
  { name: 'adam', learningRate: 3e-3 },
  [
    arm('clean', 'ceiling: the same task with an exact verifier', { correction: 'none', normalize: 'group-std' }, { task: () => cleanTask() as never }),
    arm('noisy', 'noisy verifier, uncorrected, group z-score', { correction: 'none', normalize: 'group-std' }),
    arm('backward', 'backward correction, then the group z-score', { correction: 'backward', rho0: 0, rho1, normalize: 'group-std' }),
    arm('forward', 'forward correction, then the group z-score', { correction: 'forward', rho1, normalize: 'group-std' }),
  ],
  { quick: 3, full: 10 },
  'Adam (learning rate 3e-3, shared by every arm and not swept: the corrections are expected to be no-ops here, and a no-op is unaffected by the rate) with GRPO group z-scores. The corrections are affine maps of the observed reward (in expectation and, for a known rate, exactly), and the z-score is invariant to them: expect backward and forward to match the noisy arm step for step; only the clean arm should differ.',
)

/**
 * Each arm's learning rate in the per-source suite: the winner of the sweep in
 * `bench/lr-sweep.ts` (same grid, same tuning seeds 101–103, disjoint from the reported ones).
 */
const PER_SOURCE_LR = { clean: 6, noisy: 8, backward: 4, 'backward-appeals': 6, 'backward-pooled': 6 } as const

/**
 * Per-source verifier error rates (the verifier misses 10% of correct answers on one source and
 * 45% on the other). Backward correction scales each source's advantages by its own
 * 1/(1 − ρ1(source)): a per-source reweighting of the loss, which no single learning rate
 * reproduces. The pooled-rate arm (one ρ1 for every source) is a learning-rate rescale of the
 * noisy arm, and so a negative control once both are tuned.
 */
export const PER_SOURCE_RHO1: Readonly<Record<string, number>> = { add4: 0.1, add6: 0.45 }

/** Clean positives of each source are about equally frequent over a run, so the pooled rate is about the mean. */
const POOLED_RHO1 = 0.275

const perSourceTask = (clean: boolean) =>
  rlArithmetic({
    ...TASK,
    sources: TASK.sources!.map((s) => ({ ...s, ...(clean ? {} : { verifier: { falseNegative: PER_SOURCE_RHO1[s.name] as number } }) })),
  })

export const noisyRewardPerSourceSuite = suite(
  'noisy-reward-per-source',
  'GRPO on a verifier whose false-negative rate differs by source (10% on add4, 45% on add6), SGD with every arm at its own swept rate: does per-source correction beat the best single learning rate?',
  sgd(4),
  [
    arm('clean', 'ceiling: the same task with an exact verifier', { correction: 'none' }, { task: () => perSourceTask(true) as never, optimizer: sgd(PER_SOURCE_LR.clean) }),
    arm('noisy', 'noisy verifier, uncorrected', { correction: 'none' }, { optimizer: sgd(PER_SOURCE_LR.noisy) }),
    arm('backward', 'backward correction with the true per-source rates', { correction: 'backward', rho1: PER_SOURCE_RHO1 }, { optimizer: sgd(PER_SOURCE_LR.backward) }),
    arm('backward-appeals', 'backward correction, ρ1 estimated per source from appeals (25% of negatives re-checked)', { correction: 'backward', rho1: 'appeals', perSource: true }, { optimizer: sgd(PER_SOURCE_LR['backward-appeals']) }),
    arm('backward-pooled', `negative control: backward correction with one pooled rate (ρ1 = ${POOLED_RHO1}), a learning-rate rescale of the noisy arm`, { correction: 'backward', rho1: POOLED_RHO1 }, { optimizer: sgd(PER_SOURCE_LR['backward-pooled']) }),
  ],
  { quick: 5, full: 20 },
  'Every arm at its own SGD learning rate, the winner of `bench/lr-sweep.ts` (grid 2, 3, 4, 6, 8, 12; tuning seeds 101–104, disjoint from the reported seeds; median steps to target, ties to the lower rate): clean 6, noisy 8, backward 4, backward-appeals 6, backward-pooled 6. Sweep medians (steps): clean 110, noisy 140, backward 130, backward-appeals 115, backward-pooled 130. Group-centred advantages at a fixed scale of 1. The clean arm trains on the same task with an exact verifier. backward-pooled is a learning-rate rescale of the noisy arm (negative control).',
  { task: () => perSourceTask(false) as never, maxSteps: { quick: 400, full: 600 }, evalEvery: 10 },
)
