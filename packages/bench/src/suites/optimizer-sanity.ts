import { syntheticClassification } from '@converge/core'
import { defineSuite } from '@converge/core/suite'

/**
 * A suite whose outcome is known in advance, proving the bench end to end: Adam at its tuned
 * learning rate against Adam at a third of it (slower: speed-up clearly below 1) and plain SGD at
 * Adam's rate (far slower on this task: it does not reach the target within the budget, so the
 * censoring path is exercised too).
 */
export const optimizerSanitySuite = defineSuite({
  name: 'optimizer-sanity',
  description: 'Known-outcome check of the bench: Adam 3e-3 (baseline) vs Adam 1e-3 vs SGD 3e-3 on the synthetic classification task.',
  task: () => syntheticClassification({ targetAccuracy: 0.85 }),
  baseline: 'adam-3e-3',
  arms: [
    { name: 'adam-3e-3', description: 'Adam, lr 3e-3 (the task default)', tricks: () => [] },
    { name: 'adam-1e-3', description: 'Adam, lr 1e-3: expected slower', tricks: () => [], optimizer: { name: 'adam', learningRate: 1e-3 } },
    { name: 'sgd-3e-3', description: 'SGD, lr 3e-3: expected far slower (not reaching the target)', tricks: () => [], optimizer: { name: 'sgd', learningRate: 3e-3 } },
  ],
  sizes: {
    quick: { seeds: 5, maxSteps: 1200, evalEvery: 25 },
    full: { seeds: 10, maxSteps: 2000, evalEvery: 25 },
  },
  target: { kind: 'explicit', target: { metric: 'accuracy', direction: 'max', value: 0.85 } },
  notes: 'Expected outcome: adam-1e-3 has a speed-up below 1 with a CI excluding 1; sgd-3e-3 does not reach the target.',
})
