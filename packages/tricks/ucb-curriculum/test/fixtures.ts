import type { TaskDefinition } from '@converge/core'
import { rlArithmetic, type RlArithmeticOptions } from '@converge/tasks'

/** A small mixture for tests: one saturated, one learnable and one out-of-reach source. */
export const SMALL_MIXTURE: RlArithmeticOptions = {
  sources: [
    { name: 'add2', range: 2, role: 'saturated' },
    { name: 'add6', range: 6 },
    { name: 'add64', range: 64, poolSize: 64, role: 'unsolvable' },
  ],
  prompts: 8,
  groupSize: 4,
  hidden: 16,
  learningRate: 2e-2,
}

export const smallTask = (extra: RlArithmeticOptions = {}) => rlArithmetic({ ...SMALL_MIXTURE, ...extra }) as unknown as TaskDefinition
