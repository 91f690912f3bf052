import { syntheticClassification, wsdSchedule } from '@converge/core'
import { defineSuite } from '@converge/core/suite'

/**
 * Budget-matched speed-ups end to end, on a case whose direction is known: Adam with a
 * warmup-stable-decay schedule at a good rate (baseline, tuned) against Adam at a rate 3x too small
 * with the same schedule (run at 60%, 80% and 100% of the budget). The slow arm needs more than the
 * full budget to match the baseline's final loss: its budget-matched speed-up is below 1 (bounded
 * by "< 1x" where even the full budget falls short). A budget-matched copy of the baseline itself
 * is the negative control: it matches at the full budget, a speed-up of about 1.
 */
// No warmup steps: the bench's one-step probe and 20-step worker warm-up runs would be shorter than a warmup.
const schedule = () => [wsdSchedule({ decayFraction: 0.3 })]

export const scheduleBudgetSuite = defineSuite({
  name: 'schedule-budget',
  description: 'Budget-matched speed-ups (each budget a complete WSD schedule) on the synthetic classification task: a too-small rate (expected below 1) and the baseline itself at shorter budgets (expected about 1).',
  task: () => syntheticClassification({ targetAccuracy: 0.85 }),
  baseline: 'adam-wsd',
  arms: [
    { name: 'adam-wsd', description: 'Adam lr 1e-2, WSD (constant, then the last 30% decayed linearly to 0)', tricks: schedule, optimizer: { name: 'adam', learningRate: 1e-2 } },
    {
      name: 'adam-wsd-budgets',
      description: 'the baseline at 60%, 80% and 100% of the budget: negative control (expected ≈ 1x)',
      tricks: schedule,
      optimizer: { name: 'adam', learningRate: 1e-2 },
      budgetFractions: [0.6, 0.8],
    },
    {
      name: 'adam-wsd-3e-3',
      description: 'Adam lr 3e-3 with the same schedule at 60%, 80% and 100% of the budget: expected below 1x',
      tricks: schedule,
      optimizer: { name: 'adam', learningRate: 3e-3 },
      budgetFractions: [0.6, 0.8],
    },
  ],
  sizes: {
    quick: { seeds: 6, maxSteps: 300, evalEvery: 10 },
    full: { seeds: 10, maxSteps: 500, evalEvery: 10 },
  },
  target: { kind: 'fromTuning', atFraction: 0.65, metric: 'loss', direction: 'min' },
  crossing: 'median3',
  optIn: true,
  notes:
    'Budget-matched speed-ups compare final held-out loss: the baseline at the full budget against each arm at 60%, 80% and 100% of it, every budget a complete WSD schedule. ' +
    'Steps-to-target (target fixed on 2 tuning seeds: the loss the baseline reaches by 65% of its budget, running median of 3 evaluations) is reported beside it.',
})
