import type { TaskDefinition } from '@converge/core'
import { setPrediction } from '@converge/tasks'

/**
 * A tiny set-prediction task for unit tests (width 8, 6 queries, batch 4, 8 validation scenes).
 * Its target is the matched-box L1, which moves within the contract kit's 30 steps; AP50 of so
 * small a model does not.
 */
export const tinyTask = (): TaskDefinition => ({
  ...setPrediction({ width: 8, heads: 1, queries: 6, batchSize: 4, valSize: 8 }),
  target: { metric: 'matchedL1', direction: 'min', value: 0.05 },
})
