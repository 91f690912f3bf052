/**
 * Trains and saves the two frozen networks of the shapes-diffusion family, from the same procedural
 * generator the task uses (different seeds):
 *   - the teacher: a tiny ViT (patch 4 → 16 tokens, the denoiser's grid) trained to classify shapes
 *     with a view-invariance term between two augmented views (shift ±1 px, noise); its final-norm
 *     patch tokens are the alignment target of REPA / ERW;
 *   - the evaluator: a small conv net (different architecture and seed) whose features give the
 *     Fréchet distance of samples and whose classifier gives their conditional accuracy.
 * Run: `pnpm tsx packages/tasks/scripts/train-shape-nets.ts` (seeded; writes src/diffusion/nets/).
 */
import * as tf from '@tensorflow/tfjs'
import { createRng, useBackend, type Rng } from '@converge/core'
import {
  buildShapeEvaluator,
  directoryHandler,
  initShapeVit,
  randomShapes,
  saveNamedWeights,
  shapeVitForward,
  SHAPE_EVALUATOR_DIR,
  SHAPE_TEACHER_DIR,
  SHAPE_VIT_CONFIG,
  shapeSet,
} from '../src/diffusion/index.js'

const TEACHER = { seed: 11, steps: 400, batch: 64, learningRate: 3e-3, invariance: 0.5 }
const EVALUATOR = { seed: 23, steps: 600, batch: 64, learningRate: 3e-3 }

/** A copy of 16×16 images shifted by up to ±1 px (background fill) with N(0, 0.1²) noise added. */
function augment(rng: Rng, images: Float32Array, n: number): Float32Array {
  const out = new Float32Array(images.length)
  for (let i = 0; i < n; i++) {
    const dx = rng.int(3) - 1
    const dy = rng.int(3) - 1
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const sx = x - dx
        const sy = y - dy
        const v = sx < 0 || sy < 0 || sx > 15 || sy > 15 ? -1 : images[i * 256 + sy * 16 + sx]!
        out[i * 256 + y * 16 + x] = v + 0.1 * rng.normal()
      }
    }
  }
  return out
}

async function trainTeacher(): Promise<void> {
  const rng = createRng(`teacher-data:${TEACHER.seed}`)
  const init = initShapeVit(SHAPE_VIT_CONFIG, TEACHER.seed)
  const vars = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, tf.variable(v, true, `teacher/${k}`)]))
  tf.dispose(Object.values(init))
  const optimizer = tf.train.adam(TEACHER.learningRate)
  const started = performance.now()
  for (let step = 1; step <= TEACHER.steps; step++) {
    const { images, labels } = randomShapes(rng, TEACHER.batch)
    const shape = [TEACHER.batch, 16, 16, 1] as [number, number, number, number]
    const a = tf.tensor4d(augment(rng, images, TEACHER.batch), shape)
    const b = tf.tensor4d(augment(rng, images, TEACHER.batch), shape)
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), SHAPE_VIT_CONFIG.classes)
    const cost = optimizer.minimize(() => {
      const va = shapeVitForward(vars, SHAPE_VIT_CONFIG, a)
      const vb = shapeVitForward(vars, SHAPE_VIT_CONFIG, b)
      const ce = tf.add(tf.losses.softmaxCrossEntropy(y, va.logits), tf.losses.softmaxCrossEntropy(y, vb.logits))
      // view invariance: per-token cosine between the two views' final-norm tokens
      const unit = (t: tf.Tensor) => tf.div(t, tf.maximum(tf.norm(t, 'euclidean', -1, true), 1e-12))
      const invariance = tf.sub(1, tf.mean(tf.sum(tf.mul(unit(va.tokens), unit(vb.tokens)), -1)))
      return tf.add(tf.mul(0.5, ce), tf.mul(TEACHER.invariance, invariance)) as tf.Scalar
    }, true)
    if (step % 100 === 0) console.log(`teacher step ${step}: loss ${(await cost!.data())[0]!.toFixed(4)}`)
    tf.dispose([a, b, y, cost!])
  }
  const seconds = (performance.now() - started) / 1000
  const held = shapeSet(createRng('teacher-heldout'), 600)
  const acc = tf.tidy(() => {
    const { logits } = shapeVitForward(vars, SHAPE_VIT_CONFIG, tf.tensor4d(held.images, [600, 16, 16, 1]))
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(held.labels, 'int32')), 'float32'))
  })
  console.log(`teacher: ${TEACHER.steps} steps × batch ${TEACHER.batch} in ${seconds.toFixed(1)} s (2 views per step), held-out accuracy ${(await acc.data())[0]!.toFixed(3)}`)
  acc.dispose()
  await saveNamedWeights(SHAPE_TEACHER_DIR, { kind: 'shape-vit', config: SHAPE_VIT_CONFIG, training: TEACHER }, vars)
  tf.dispose(Object.values(vars))
  optimizer.dispose()
}

async function trainEvaluator(): Promise<void> {
  const rng = createRng(`evaluator-data:${EVALUATOR.seed}`)
  const model = buildShapeEvaluator(EVALUATOR.seed)
  model.compile({ optimizer: tf.train.adam(EVALUATOR.learningRate), loss: 'categoricalCrossentropy' })
  // logits layer: wrap with a softmax cross-entropy on logits
  model.compile({ optimizer: tf.train.adam(EVALUATOR.learningRate), loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred) })
  const started = performance.now()
  for (let step = 1; step <= EVALUATOR.steps; step++) {
    const { images, labels } = randomShapes(rng, EVALUATOR.batch)
    const x = tf.tensor4d(augment(rng, images, EVALUATOR.batch), [EVALUATOR.batch, 16, 16, 1])
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 6)
    const loss = (await model.trainOnBatch(x, y)) as number
    if (step % 100 === 0) console.log(`evaluator step ${step}: loss ${loss.toFixed(4)}`)
    tf.dispose([x, y])
  }
  const seconds = (performance.now() - started) / 1000
  const held = shapeSet(createRng('evaluator-heldout'), 600)
  const acc = tf.tidy(() => {
    const logits = model.predict(tf.tensor4d(held.images, [600, 16, 16, 1])) as tf.Tensor
    return tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(held.labels, 'int32')), 'float32'))
  })
  console.log(`evaluator: ${EVALUATOR.steps} steps × batch ${EVALUATOR.batch} in ${seconds.toFixed(1)} s, held-out accuracy ${(await acc.data())[0]!.toFixed(3)}`)
  acc.dispose()
  await model.save(directoryHandler(SHAPE_EVALUATOR_DIR))
  model.dispose()
}

await useBackend('wasm')
await trainTeacher()
await trainEvaluator()
