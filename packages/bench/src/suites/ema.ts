import { ema, syntheticClassification } from '@converge/core'
import { defineSuite } from '@converge/core/suite'

/**
 * EMA of the weights where it is known to help: noisy labels (30% replaced at random) and a high
 * Adam rate (0.01), where the live weights keep jumping around the optimum and their average sits
 * nearer it. Arms: no averaging (baseline), EMA decay 0.95 and 0.9 (windows of about 20 and 10
 * steps), and decay 0, the negative control: its average is the live weights, so its metrics and
 * steps-to-target equal the baseline's exactly (speed-up 1.00 on every seed).
 */
export const emaSuite = defineSuite({
  name: 'ema',
  description: 'EMA of the weights (evaluated on the average) vs none, on synthetic classification with 30% label noise at Adam lr 0.01; decay 0 is the negative control.',
  task: () => syntheticClassification({ labelNoise: 0.3, learningRate: 0.01, targetAccuracy: 0.83 }),
  baseline: 'none',
  arms: [
    { name: 'none', description: 'no averaging (baseline)', tricks: () => [] },
    { name: 'ema-0.95', description: 'EMA decay 0.95, evaluated on the average', tricks: () => [ema({ decay: 0.95, reportLive: false })] },
    { name: 'ema-0.9', description: 'EMA decay 0.9, evaluated on the average', tricks: () => [ema({ decay: 0.9, reportLive: false })] },
    { name: 'ema-0', description: 'EMA decay 0 (negative control: the average is the live weights)', tricks: () => [ema({ decay: 0, reportLive: false })] },
  ],
  sizes: {
    quick: { seeds: 5, maxSteps: 400, evalEvery: 10, stopAtTarget: true },
    full: { seeds: 10, maxSteps: 800, evalEvery: 10, stopAtTarget: true },
  },
  target: { kind: 'explicit', target: { metric: 'accuracy', direction: 'max', value: 0.83 } },
  notes:
    'Known outcome for the control: ema-0 equals the baseline seed for seed. ' +
    'Probe (2 seeds, 400 steps, WASM): first evaluation at accuracy >= 0.82 at steps 130/160 without averaging, 90/70 with decay 0.95, 100/80 with decay 0.9. ' +
    'Quick size (5 seeds, WASM): median 150 steps without averaging; decay 0.95 1.08x [0.93, 2.00], decay 0.9 1.00x [1.00, 2.00], control 1.00x [1.00, 1.00]. ' +
    'Opt-in (the quick size takes about 50 s): run with `pnpm bench --suite ema`.',
  optIn: true,
})
