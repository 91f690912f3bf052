import type { Trick } from '@converge/core'
import { defineSuite, type ArmSpec, type BenchSize } from '@converge/core/suite'
import { loadShapeTeacher, randomShapeTeacher, shapesDiffusion, type ShapesDiffusionOptions } from '@converge/tasks'
import { erw, type ErwOptions } from './erw.js'
import { repa } from './repa.js'
import { collectSteps } from './collect-steps.js'

export { erwFashionSuite, ERW_FASHION_SCHEDULE, ERW_FASHION_TASK } from './fashion-suite.js'

/**
 * The denoiser of the ERW suite: 16×16 shapes, patch 4 (16 tokens), width 32, 4 blocks, batch 32.
 * `quick` is a smoke-sized run of the same model (fewer steps and seeds, a cheaper evaluation).
 */
export const ERW_TASK_OPTIONS = {
  full: { patch: 4, width: 32, depth: 4, heads: 2, batchSize: 32, learningRate: 2e-3 },
  quick: { patch: 4, width: 32, depth: 4, heads: 2, batchSize: 32, learningRate: 2e-3, valSize: 60, sampleCount: 36, sampleSteps: 8 },
} as const satisfies Record<BenchSize, ShapesDiffusionOptions>

/**
 * Depth mapping from SiT-XL/2 (28 blocks): warm-up L = 4/28 → 1 of 4 blocks; alignment at 14/28 →
 * block 2 (ERW, and the REPA arms too, so only λ and the warm-up differ between B, C and D).
 * Warm-up = 15% of the budget (the README run warms 1/3 of its steps, the code default 2.5%);
 * λ halves every quarter of the main phase (50 k of 200 k); c0 = 1 (the official value for SiT-B/S).
 */
export const ERW_SCHEDULE = { warmupFraction: 0.15, warmupDepth: 1, alignDepth: 2, c0: 1, halfLifeFraction: 0.25, repaWeight: 0.5 } as const

const erwOptions = (teacher: ErwOptions['teacher']): ErwOptions => ({
  teacher,
  warmupSteps: { fraction: ERW_SCHEDULE.warmupFraction },
  warmupDepth: ERW_SCHEDULE.warmupDepth,
  alignDepth: ERW_SCHEDULE.alignDepth,
  c0: ERW_SCHEDULE.c0,
  halfLife: { fraction: ERW_SCHEDULE.halfLifeFraction },
})

const arm = (name: string, description: string, tricks: () => Trick[]): ArmSpec => ({ name, description, tricks, collect: collectSteps })

export const erwSuite = defineSuite({
  name: 'erw',
  description:
    'ERW (representation warm-up of the first block + decaying alignment) vs baseline diffusion, REPA, REPA with ERW’s λ schedule, and ERW with a random-init teacher, on class-conditional 16×16 shapes; steps (warm-up included) to a sample-quality target (Fréchet distance in evaluator features).',
  task: (size) => shapesDiffusion(ERW_TASK_OPTIONS[size]),
  arms: [
    arm('A-baseline', 'SiT, diffusion loss only', () => []),
    arm('B-repa', 'REPA: + 0.5·L_align at block 2 from step 0', () => [repa({ teacher: () => loadShapeTeacher(), alignDepth: ERW_SCHEDULE.alignDepth })]),
    arm('C-repa-erw-lambda', 'REPA with ERW’s λ(s) = 2^(−s/h), no warm-up', () => [
      repa({ teacher: () => loadShapeTeacher(), alignDepth: ERW_SCHEDULE.alignDepth, weight: { kind: 'halving', c0: ERW_SCHEDULE.c0, halfLife: { fraction: ERW_SCHEDULE.halfLifeFraction } } }),
    ]),
    arm('D-erw', 'ERW: warm-up (15% of steps, block 1, t = 0, alignment only) + ERW’s λ(s) at block 2', () => [erw(erwOptions(() => loadShapeTeacher()))]),
    arm('E-erw-random-teacher', 'negative control: ERW with the same ViT at random init (frozen)', () => [erw(erwOptions(() => randomShapeTeacher(11)))]),
  ],
  baseline: 'A-baseline',
  // 80 quick steps reach no sample-quality target on any arm (the card's numbers are full size,
  // ~2–3 minutes of training per run): a plain pnpm bench leaves it out; --suite erw runs it.
  optIn: true,
  sizes: {
    quick: { seeds: 2, maxSteps: 80, evalEvery: 40 },
    // At 800 steps every arm was still far from class-conditional samples (FD 100–130): the card has both budgets.
    full: { seeds: 3, maxSteps: 2000, evalEvery: 100 },
  },
  target: { kind: 'fromBaseline', margin: 0.1, metric: 'fd', direction: 'min' },
  notes:
    'Target: Fréchet distance (evaluator features, 60 class-conditional 10-step Euler samples vs 120 validation images; quick: 36 samples, 8 steps, 60 images) within 10% of the baseline’s median best. ' +
    'Steps include ERW’s warm-up; a warm-up step trains 1 of 4 blocks with no head, cost 0.25 of a main step, so cost-weighted steps = steps − 0.75·warmupSteps (warmupSteps column). ' +
    'Every arm uses the same optimizer (Adam, lr 2e-3, the task default): chosen from a baseline pilot (1e-3 vs 2e-3), not tuned per arm; REPA/ERW arms were not tuned. ' +
    'E’s teacher is the teacher’s architecture at seed-11 random init (the trained teacher started from the same init). quick is a smoke test: too few steps for sample quality to mean anything.',
})
