import type { RlArithmeticOptions } from '@converge/tasks'

/** A small RL arithmetic task with a noisy verifier and exact appeals: fast enough for unit and contract tests. */
export const SMALL: RlArithmeticOptions = {
  sources: [
    { name: 'add2', range: 2, role: 'saturated' },
    { name: 'add3', range: 3 },
  ],
  prompts: 4,
  groupSize: 4,
  hidden: 8,
  verifier: { falseNegative: 0.3 },
  appeal: { truePositiveRate: 1, falsePositiveRate: 0 },
  targetAccuracy: 0.5,
}
