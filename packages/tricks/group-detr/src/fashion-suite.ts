import { gradClip, type OptimizerSpec, type Trick } from '@converge/core'
import { defineSuite, type ArmSpec, type BenchSize } from '@converge/core/suite'
import { FASHION_DETECTION_ENCODER_DIR, fashionDetection, type FashionDetectionOptions } from '@converge/tasks'
import { groupDetr } from './group-detr.js'

/** Queries per group (Q): 1–4 items per canvas give ≈ 8% positives per group, as scarce as the paper's regime allows here. */
export const FASHION_QUERIES = 30

/**
 * fashionDetection with the committed pretrained stem + encoder, frozen: only the decoder, the heads
 * and the queries train (drawn per seed), so the decoder's assignment is what limits learning. AP on
 * 256 fixed validation canvases (`quick`: 32).
 */
export const GROUP_DETR_FASHION_TASK_OPTIONS = {
  full: { pretrainedEncoder: FASHION_DETECTION_ENCODER_DIR, queries: FASHION_QUERIES, batchSize: 16, valSize: 256 },
  quick: { pretrainedEncoder: FASHION_DETECTION_ENCODER_DIR, queries: FASHION_QUERIES, batchSize: 16, valSize: 32 },
} as const satisfies Record<BenchSize, FashionDetectionOptions>

/** The official recipe's optimizer, AdamW with decoupled weight decay 1e-4 and a global gradient-norm clip of 0.1. */
export const FASHION_WEIGHT_DECAY = 1e-4
export const FASHION_CLIP = 0.1
/**
 * One rate for every arm: the best of {3e-4, 1e-3, 3e-3, 1e-2} for K = 1 (the baseline) on pilot seed
 * 2001 (AP at step 300: 0.0004, 0.0019, 0.0088; 1e-2 was behind 3e-3 at every evaluation to step 200).
 */
export const FASHION_LEARNING_RATE = 3e-3
const ADAMW: OptimizerSpec = { name: 'adam', learningRate: FASHION_LEARNING_RATE, weightDecay: FASHION_WEIGHT_DECAY }

const arm = (name: string, description: string, tricks: () => Trick[], extra: Partial<ArmSpec> = {}): ArmSpec => ({
  name,
  description,
  tricks: () => [gradClip({ maxNorm: FASHION_CLIP }), ...tricks()],
  optimizer: ADAMW,
  collect: (_tricks, result) => ({ trainSeconds: result.trainMs / 1000, finalAp: result.history.at(-1)?.metrics.ap ?? Number.NaN, finalAp50: result.history.at(-1)?.metrics.ap50 ?? Number.NaN }),
  ...extra,
})

export const groupDetrFashionSuite = defineSuite({
  name: 'group-detr-fashion',
  description:
    'Group DETR where positives are scarce: fashionDetection (64×64 canvases of 1–4 real Fashion-MNIST items) with a pretrained, frozen stem + encoder, Q = 30 queries per group, AdamW + clip 0.1; K = 4 groups against plain DETR (K = 1), and the two controls (120 queries in one group; K = 4 without separated self-attention). Steps to an AP (0.5:0.95) target fixed on tuning seeds.',
  task: (size) => fashionDetection(GROUP_DETR_FASHION_TASK_OPTIONS[size]),
  arms: [
    arm('A-detr', 'DETR, Q = 30 queries, one-to-one matching (K = 1)', () => []),
    arm('B-group4', 'Group DETR, K = 4 groups of 30 queries (group-separated self-attention, per-group matching)', () => [groupDetr({ groups: 4 })]),
    arm('C-detr-120q', 'control: DETR with K·Q = 120 queries in one group (more queries alone); evaluates all 120', () => [], {
      task: (size) => fashionDetection({ ...GROUP_DETR_FASHION_TASK_OPTIONS[size], queries: 4 * FASHION_QUERIES }),
    }),
    arm('D-group4-unseparated', 'control: K = 4 with per-group matching but no self-attention separation (naive one-to-many)', () => [groupDetr({ groups: 4, separateSelfAttention: false })]),
  ],
  baseline: 'A-detr',
  optIn: true,
  sizes: {
    // 20 steps on one seed: a smoke test of all four arms (AP is still ≈ 0).
    quick: { seeds: 1, tuningSeeds: 1, maxSteps: 20, evalEvery: 10 },
    // The primary comparison, sized to ≈ 45 min of one loaded core from the pilot (K = 1 ≈ 0.3 s/step,
    // K = 4 ≈ 0.8 s/step, an evaluation ≈ 1.3 s); the controls run with --arms (see the card).
    full: { seeds: 4, tuningSeeds: 2, maxSteps: 500, evalEvery: 25, arms: ['A-detr', 'B-group4'] },
  },
  target: { kind: 'fromTuning', atFraction: 0.6, metric: 'ap', direction: 'max' },
  crossing: 'median3',
  notes:
    'Design pre-registered in the card before the reported runs. ' +
    'Target: AP (IoU 0.5:0.95, COCO 101-point, group 0, top 100 per image) on 256 validation canvases, the level K = 1 reaches by 60% of its budget on the two tuning seeds (running median of 3 evaluations); no reported seed sets it. ' +
    'The stem + encoder are the committed pretrained weights (one K = 1 run, seed 9001), frozen; decoder, heads and queries are drawn per seed. Every arm: AdamW lr 3e-3 (the baseline’s best rate on a pilot seed; not tuned per arm), decoupled weight decay 1e-4, global gradient-norm clip 0.1, batch 16. ' +
    'C evaluates with all 120 queries (it has no group 0). A Group DETR step decodes K·Q queries: compare trainSeconds as well as steps.',
})
