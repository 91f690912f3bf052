import { defineSuite, type ArmSpec, type BenchSuite, type RunExtras } from '@converge/core/suite'
import { rlArithmetic, type RlArithmeticOptions } from '@converge/tasks'
import type { OptimizerSpec, Trick } from '@converge/core'
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
      return { rho1Final: trace.at(-1) ?? 0, appealCalls: stats.appealCalls, rho1Trace: trace.filter((_, i) => i % 10 === 0) }
    },
    ...extra,
  }
}

function suite(name: string, description: string, optimizer: OptimizerSpec, arms: ArmSpec[], seeds: { quick: number; full: number }, notes: string): BenchSuite {
  return defineSuite({
    name,
    description,
    task: () => noisyTask() as never,
    baseline: 'noisy',
    arms: arms.map((a) => ({ ...a, optimizer })),
    sizes: {
      quick: { seeds: seeds.quick, maxSteps: 800, evalEvery: 25 },
      full: { seeds: seeds.full, maxSteps: 1200, evalEvery: 25 },
    },
    target: { kind: 'explicit', target: { metric: 'accuracy', direction: 'max', value: 0.8 } },
    cost: { name: 'rollouts', perStep: 16 * 8 },
    notes,
  })
}

const rho1 = SUITE_RHO1

/**
 * Where the correction should matter: plain SGD at a learning rate tuned on clean rewards, with
 * mean-only advantages at a fixed scale. Noise shrinks the expected gradient by (1 − ρ1), which
 * at a fixed rate is a smaller step; the corrections restore the scale.
 */
export const noisyRewardSuite = suite(
  'noisy-reward',
  `GRPO on a verifier with ${rho1 * 100}% false negatives, SGD at the clean-tuned rate, mean-only advantages: does correcting the rewards recover the clean speed?`,
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
  ],
  { quick: 5, full: 10 },
  `The verifier drops ${rho1 * 100}% of correct answers (false negatives only). Every arm runs the noisy-reward trick (correction "none" for clean and noisy) so all share one advantage pipeline: group-centred rewards (forward: uncentred weights) at a fixed scale of 1, SGD with learning rate 1 (chosen on clean rewards). The clean arm trains on the same task with an exact verifier; its seeds are paired with the others. Gap recovered = (noisy − arm) / (noisy − clean) in median steps.`,
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
  'Adam (learning rate 3e-3) with GRPO group z-scores. The corrections are affine maps of the observed reward (in expectation and, for a known rate, exactly), and the z-score is invariant to them: expect backward and forward to match the noisy arm step for step; only the clean arm should differ.',
)
