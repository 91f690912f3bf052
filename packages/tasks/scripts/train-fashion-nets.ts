/**
 * Trains and saves the two frozen networks of the Fashion-MNIST diffusion family (16×16, pixels in
 * [−1, 1]) from the original files' train split, and measures them on the test split:
 *   - the teacher: a small conv net whose 4×4×64 map before pooling gives 16 tokens (the grid of a
 *     patch-4 SiT), trained by classification plus a dense augmentation-invariance term: each
 *     token of one augmented view (shift ±1 px, flip, noise) must pick out the same-position token
 *     of another view of the same image among all tokens of the batch (InfoNCE); flips are undone on
 *     the token map before comparing. It then passes the token-information gate (class + position
 *     explain < 30% of the token variance, the per-image mean token < 50%);
 *   - the evaluator: a different conv net (another seed, widths and a flattened head), trained to
 *     classify with crop/flip augmentation; its penultimate features give the Fréchet distance.
 * Run: `pnpm tsx packages/tasks/scripts/train-fashion-nets.ts [teacher|evaluator]` (seeded; writes
 * src/fashion/nets/; needs the full Fashion-MNIST: `sudo apt-get install dataset-fashion-mnist`).
 */
import * as tf from '@tensorflow/tfjs'
import { createRng, useBackend } from '@converge/core'
import { augmentInPlace, loadFashionMnist, type LabelledImages } from '../src/data/index.js'
import { frechetDistance, gaussianStats, saveNamedWeights } from '../src/diffusion/index.js'
import {
  augmentView,
  evaluatorForward,
  FASHION_EVALUATOR_CONFIG,
  FASHION_EVALUATOR_DIR,
  FASHION_TEACHER_DIR,
  gatherImages,
  initFashionEvaluator,
  initSpatialTeacher,
  measureTeacherGate,
  SPATIAL_TEACHER_CONFIG,
  spatialTeacherForward,
  unitScaleImages,
} from '../src/fashion/index.js'

const TEACHER = { seed: 11, steps: 1500, batch: 32, learningRate: 2e-3, classification: 0.1, invariance: 1, temperature: 0.07 }
const EVALUATOR = { seed: 23, steps: 1000, batch: 64, learningRate: 2e-3 }
const HELD_OUT = 1000
const SIZE = 16

const raw = loadFashionMnist()
const train = unitScaleImages(raw.train, SIZE)
const test = unitScaleImages(raw.test, SIZE)
const heldOut = Int32Array.from({ length: HELD_OUT }, (_, i) => i)
const heldLabels = Int32Array.from(heldOut, (i) => test.labels[i] as number)

function accuracy(logits: tf.Tensor2D, labels: Int32Array): number {
  const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync())
  return Array.from(predicted).filter((p, i) => p === labels[i]).length / labels.length
}

/** The token map with each flipped view's map flipped back, as unit vectors: `[B·tokens, width]`. */
function alignedUnitTokens(map: tf.Tensor4D, flipped: boolean[]): tf.Tensor2D {
  const [b, gy, gx, d] = map.shape
  const mask = tf.tile(tf.cast(tf.tensor4d(flipped.map((f) => (f ? 1 : 0)), [b, 1, 1, 1]), 'bool'), [1, gy, gx, d])
  const back = tf.reshape(tf.where(mask, tf.reverse(map, 2), map), [b * gy * gx, d])
  return tf.div(back, tf.maximum(tf.norm(back, 'euclidean', -1, true), 1e-12)) as tf.Tensor2D
}

async function trainTeacher(): Promise<void> {
  const c = SPATIAL_TEACHER_CONFIG
  const rng = createRng(`fashion-teacher-data:${TEACHER.seed}`)
  const init = initSpatialTeacher(c, TEACHER.seed)
  const vars = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, tf.variable(v, true, `teacher/${k}`)]))
  tf.dispose(Object.values(init))
  const optimizer = tf.train.adam(TEACHER.learningRate)
  const B = TEACHER.batch
  const tokens = B * (c.imageSize / 4) ** 2
  const identity = tf.oneHot(tf.range(0, tokens, 1, 'int32'), tokens)
  const started = performance.now()
  for (let step = 1; step <= TEACHER.steps; step++) {
    const idx = Array.from({ length: B }, () => rng.int(train.count))
    const images = gatherImages(train, idx)
    const a = augmentView(rng, images, B, SIZE)
    const b = augmentView(rng, images, B, SIZE)
    const xa = tf.tensor4d(a.view, [B, SIZE, SIZE, 1])
    const xb = tf.tensor4d(b.view, [B, SIZE, SIZE, 1])
    const y = tf.oneHot(tf.tensor1d(Int32Array.from(idx, (i) => train.labels[i] as number), 'int32'), c.classes)
    const cost = optimizer.minimize(() => {
      const fa = spatialTeacherForward(vars, c, xa)
      const fb = spatialTeacherForward(vars, c, xb)
      const ce = tf.mul(0.5, tf.add(tf.losses.softmaxCrossEntropy(y, fa.logits), tf.losses.softmaxCrossEntropy(y, fb.logits)))
      const similarity = tf.div(tf.matMul(alignedUnitTokens(fa.map, a.flipped), alignedUnitTokens(fb.map, b.flipped), false, true), TEACHER.temperature)
      const nce = tf.mul(0.5, tf.add(tf.losses.softmaxCrossEntropy(identity, similarity), tf.losses.softmaxCrossEntropy(identity, tf.transpose(similarity))))
      return tf.add(tf.mul(TEACHER.classification, ce), tf.mul(TEACHER.invariance, nce)) as tf.Scalar
    }, true)
    if (step % 100 === 0) console.log(`teacher step ${step}: loss ${(await cost!.data())[0]!.toFixed(4)} (${((performance.now() - started) / step).toFixed(0)} ms/step)`)
    tf.dispose([xa, xb, y, cost!])
  }
  identity.dispose()
  const seconds = (performance.now() - started) / 1000
  const held = tf.tensor4d(gatherImages(test, heldOut), [HELD_OUT, SIZE, SIZE, 1])
  const logits = tf.tidy(() => spatialTeacherForward(vars, c, held).logits)
  console.log(`teacher: ${TEACHER.steps} steps × batch ${B} (2 views) in ${seconds.toFixed(0)} s; test accuracy ${accuracy(logits, heldLabels).toFixed(3)} on ${HELD_OUT}`)
  const gate = measureTeacherGate({ tokens: { tokens: 16, width: c.width }, encode: (x) => tf.tidy(() => spatialTeacherForward(vars, c, x).tokens), dispose: () => undefined }, held, heldLabels, c.classes)
  console.log(`teacher gate on ${HELD_OUT} test images: ${JSON.stringify(gate.probe)} passed=${gate.passed} ${gate.reasons.join('; ')}`)
  tf.dispose([held, logits])
  await saveNamedWeights(FASHION_TEACHER_DIR, { kind: 'spatial-conv-teacher', config: c, training: TEACHER }, vars)
  tf.dispose(Object.values(vars))
  optimizer.dispose()
}

/** Features of `set`'s images `indices` under the evaluator, `[n, features]` row-major. */
function features(w: tf.NamedTensorMap, set: LabelledImages, indices: ArrayLike<number>): Float32Array {
  const x = tf.tensor4d(gatherImages(set, indices), [indices.length, SIZE, SIZE, 1])
  const f = tf.tidy(() => evaluatorForward(w, FASHION_EVALUATOR_CONFIG, x).features)
  const out = f.dataSync() as Float32Array
  tf.dispose([x, f])
  return out
}

async function trainEvaluator(): Promise<void> {
  const c = FASHION_EVALUATOR_CONFIG
  const rng = createRng(`fashion-evaluator-data:${EVALUATOR.seed}`)
  const init = initFashionEvaluator(c, EVALUATOR.seed)
  const vars = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, tf.variable(v, true, `evaluator/${k}`)]))
  tf.dispose(Object.values(init))
  const optimizer = tf.train.adam(EVALUATOR.learningRate)
  const B = EVALUATOR.batch
  const started = performance.now()
  for (let step = 1; step <= EVALUATOR.steps; step++) {
    const idx = Array.from({ length: B }, () => rng.int(train.count))
    const images = gatherImages(train, idx)
    augmentInPlace(images, B, SIZE, SIZE, 1, { cropPadding: 1, flip: true, fill: -1 }, rng)
    const x = tf.tensor4d(images, [B, SIZE, SIZE, 1])
    const y = tf.oneHot(tf.tensor1d(Int32Array.from(idx, (i) => train.labels[i] as number), 'int32'), c.classes)
    const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, evaluatorForward(vars, c, x).logits) as tf.Scalar, true)
    if (step % 100 === 0) console.log(`evaluator step ${step}: loss ${(await cost!.data())[0]!.toFixed(4)} (${((performance.now() - started) / step).toFixed(0)} ms/step)`)
    tf.dispose([x, y, cost!])
  }
  const seconds = (performance.now() - started) / 1000
  const held = tf.tensor4d(gatherImages(test, heldOut), [HELD_OUT, SIZE, SIZE, 1])
  const logits = tf.tidy(() => evaluatorForward(vars, c, held).logits)
  console.log(`evaluator: ${EVALUATOR.steps} steps × batch ${B} in ${seconds.toFixed(0)} s; test accuracy ${accuracy(logits, heldLabels).toFixed(3)} on ${HELD_OUT}`)
  tf.dispose([held, logits])
  // the FD noise floor: two disjoint real sets of the test split, at the sample counts a task uses
  const order = createRng('fashion-fd-floor').shuffle(Array.from({ length: test.count }, (_, i) => i))
  for (const n of [1000, 2000]) {
    const stats = (part: number[]) => gaussianStats(features(vars, test, part), n, c.features)
    console.log(`FD noise floor, two disjoint real sets of ${n}: ${frechetDistance(stats(order.slice(0, n)), stats(order.slice(n, 2 * n))).toFixed(3)}`)
  }
  await saveNamedWeights(FASHION_EVALUATOR_DIR, { kind: 'fashion-evaluator', config: c, training: EVALUATOR }, vars)
  tf.dispose(Object.values(vars))
  optimizer.dispose()
}

await useBackend('wasm')
const which = process.argv[2]
if (which !== 'evaluator') await trainTeacher()
if (which !== 'teacher') await trainEvaluator()
