import { fashionClassification } from '@converge/tasks'
import { defineSuite } from '@converge/core/suite'

/**
 * The optimizer sanity check on real data: Fashion-MNIST (an MLP on area-averaged 16×16 images,
 * validation accuracy on 2,000 held-out training images). Adam is the baseline; Adam at a tenth of
 * its rate is a known-slower negative control; plain SGD is the comparison whose outcome is not
 * fixed in advance. Needs the data set (`sudo apt-get install dataset-fashion-mnist`).
 */
export const fashionSanitySuite = defineSuite({
  name: 'fashion-sanity',
  description: 'Real data: Adam (baseline) vs plain SGD vs Adam at a tenth of its rate, on Fashion-MNIST (MLP, 16×16), to 80% validation accuracy.',
  task: () => fashionClassification({ model: 'mlp', imageSize: 16, validationSize: 2000, batchSize: 64, targetAccuracy: 0.8 }),
  baseline: 'adam',
  arms: [
    { name: 'adam', description: 'Adam, lr 3e-3', tricks: () => [], optimizer: { name: 'adam', learningRate: 3e-3 } },
    { name: 'sgd', description: 'plain SGD, lr 0.1', tricks: () => [], optimizer: { name: 'sgd', learningRate: 0.1 } },
    { name: 'adam-3e-4', description: 'Adam, lr 3e-4: expected slower (negative control)', tricks: () => [], optimizer: { name: 'adam', learningRate: 3e-4 } },
  ],
  sizes: {
    // Adam at 3e-3 reaches 80% in ~150 steps; runs stop at the target, so the budget binds only slow arms.
    quick: { seeds: 3, maxSteps: 600, evalEvery: 25, stopAtTarget: true },
    full: { seeds: 10, maxSteps: 1500, evalEvery: 25, stopAtTarget: true },
  },
  target: { kind: 'explicit', target: { metric: 'accuracy', direction: 'max', value: 0.8 } },
  notes: 'Known outcome: adam-3e-4 is slower than the baseline (speed-up below 1) or does not reach 80%. SGD against Adam is measured, not assumed.',
})
