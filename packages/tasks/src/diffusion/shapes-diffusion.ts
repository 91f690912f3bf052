import { existsSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { createRng, parseOptions, type Batch, type Generative, type HiddenStates, type LossParts, type TaskDefinition, type TaskInstance } from '@converge/core'
import { z } from 'zod'
import { loadShapeEvaluator, SHAPE_EVALUATOR_DIR, type ShapeEvaluator } from './evaluator.js'
import { frechetDistance, gaussianStats } from './frechet.js'
import { linearProbeAccuracy } from './linear-probe.js'
import { normals } from './normals.js'
import { eulerSample } from './sampler.js'
import { randomShapes, shapeSet, SHAPE_CLASSES, SHAPE_IMAGE_SIZE } from './shapes.js'
import { Sit, type SitOutput } from './sit.js'

export const shapesDiffusionOptionsSchema = z
  .object({
    /** Patch side; 16×16 images give (16/patch)² tokens. */
    patch: z.number().int().positive().default(4),
    width: z.number().int().positive().default(32),
    depth: z.number().int().min(1).default(4),
    heads: z.number().int().positive().default(2),
    /** MLP hidden width as a multiple of the width. */
    mlpRatio: z.number().int().positive().default(2),
    batchSize: z.number().int().positive().default(32),
    /** Probability that a training label is replaced by the null class (classifier-free guidance training). */
    labelDropout: z.number().min(0).max(1).default(0.1),
    learningRate: z.number().positive().default(1e-3),
    /** Fixed validation images (v-loss, probe, reference statistics); a multiple of 6 keeps classes balanced. */
    valSize: z.number().int().min(12).default(120),
    /** Class-conditional samples drawn at each evaluation (cycling through the classes). */
    sampleCount: z.number().int().min(12).default(60),
    /** Euler steps of the sampling ODE from t = 1 to 0. */
    sampleSteps: z.number().int().positive().default(10),
    /** Block whose tokens (at t = 0.5, mean-pooled) the linear probe reads. */
    probeLayer: z.number().int().min(1).default(2),
    /** Seed of the validation set and the fixed sampling noise (fixed across run seeds). */
    dataSeed: z.number().int().min(0).default(1),
    /** The task's own target: Fréchet distance in evaluator features at most this. */
    targetFd: z.number().positive().default(20),
    /** Directory of the evaluator network (default: the committed one). */
    evaluatorDir: z.string().default(SHAPE_EVALUATOR_DIR),
  })
  .strict()
  .refine((o) => SHAPE_IMAGE_SIZE % o.patch === 0, { message: 'patch must divide the image size 16', path: ['patch'] })
  .refine((o) => o.width % o.heads === 0 && o.width % 4 === 0, { message: 'width must be a multiple of 4 and of heads', path: ['width'] })
  .refine((o) => o.probeLayer <= o.depth, { message: 'probeLayer must be at most depth', path: ['probeLayer'] })
  // Checked at definition, not at the first create(): a bench refuses the suite before any run.
  .refine((o) => existsSync(join(o.evaluatorDir, 'model.json')), { message: 'no evaluator there: expected a folder holding model.json and weights.bin', path: ['evaluatorDir'] })

export type ShapesDiffusionOptions = z.input<typeof shapesDiffusionOptionsSchema>

/** A training batch: clean images, their noise and times, and (possibly dropped) labels. */
export interface ShapesDiffusionBatch extends Batch {
  readonly x0: tf.Tensor4D
  readonly noise: tf.Tensor4D
  readonly t: tf.Tensor1D
  /** Class ids; the null class (= number of classes) where the label was dropped. */
  readonly labels: tf.Tensor1D
}

export type ShapesDiffusionOutput = SitOutput

const CLASSES = SHAPE_CLASSES.length
const PIXELS = SHAPE_IMAGE_SIZE * SHAPE_IMAGE_SIZE

/**
 * Class-conditional pixel diffusion on procedural 16×16 shapes (disc, square, triangle, ring, plus,
 * bar): a small SiT trained with the linear path x_t = (1 − t)·x₀ + t·ε, v-prediction (v* = ε − x₀)
 * and t ~ U(0, 1). Evaluation: validation v-loss (fixed noise, t on a grid), a linear probe of block
 * `probeLayer`, and Euler-ODE samples scored by a separately trained evaluator: Fréchet distance to
 * the validation images in its features (`fd`) and its accuracy on the intended classes (`sampleAcc`).
 * Provides the `generative` and `hiddenStates` capabilities.
 */
export function shapesDiffusion(options: ShapesDiffusionOptions = {}): TaskDefinition<ShapesDiffusionBatch, ShapesDiffusionOutput> {
  const o = parseOptions(shapesDiffusionOptionsSchema, options, 'shapesDiffusion options')
  return {
    name: 'shapes-diffusion',
    options: { ...o },
    target: { metric: 'fd', direction: 'min', value: o.targetFd },
    optimizer: { name: 'adam', learningRate: o.learningRate },
    async create(init): Promise<TaskInstance<ShapesDiffusionBatch, ShapesDiffusionOutput>> {
      const evaluator: ShapeEvaluator = await loadShapeEvaluator(o.evaluatorDir)
      const sit = new Sit(
        { imageSize: SHAPE_IMAGE_SIZE, patch: o.patch, width: o.width, depth: o.depth, heads: o.heads, mlpRatio: o.mlpRatio, classes: CLASSES },
        init.streams.stream('init'),
        init.variableName,
      )
      // fixed across run seeds: validation images, their noise and times, the sampling noise
      const fixed = createRng(`shapes-diffusion:val:${o.dataSeed}`)
      const val = shapeSet(fixed, o.valSize)
      const valShape = [o.valSize, SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE, 1] as const
      const valX0 = tf.tensor4d(val.images, [...valShape])
      const valNoise = tf.tensor4d(normals(fixed, o.valSize * PIXELS), [...valShape])
      const valT = tf.tensor1d(Float32Array.from({ length: o.valSize }, (_, i) => 0.1 + (0.8 * (i % 9)) / 8))
      const valLabels = tf.tensor1d(val.labels, 'int32')
      const sampleNoise = tf.tensor4d(normals(fixed, o.sampleCount * PIXELS), [o.sampleCount, SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE, 1])
      const sampleLabelValues = Int32Array.from({ length: o.sampleCount }, (_, i) => i % CLASSES)
      const sampleLabels = tf.tensor1d(sampleLabelValues, 'int32')
      const reference = tf.tidy(() => evaluator.run(valX0).features)
      const referenceStats = gaussianStats(reference.dataSync(), o.valSize, evaluator.featureWidth)
      reference.dispose()
      const fixedTensors = [valX0, valNoise, valT, valLabels, sampleNoise, sampleLabels]

      const forward = (batch: ShapesDiffusionBatch): SitOutput => {
        const tt = tf.reshape(batch.t, [-1, 1, 1, 1])
        const xt = tf.add(tf.mul(tf.sub(1, tt), batch.x0), tf.mul(tt, batch.noise))
        return sit.forward(xt, batch.t, batch.labels)
      }
      const vloss = (out: SitOutput, b: ShapesDiffusionBatch) => tf.mean(tf.square(tf.sub(out.v, tf.sub(b.noise, b.x0)))) as tf.Scalar

      const hiddenStates: HiddenStates = {
        layers: sit.blocks.map((_, i) => `block${i + 1}`),
        shape: (layer) => {
          if (!hiddenStates.layers.includes(layer)) throw new RangeError(`shapes-diffusion has no hidden state "${layer}" (layers: ${hiddenStates.layers.join(', ')})`)
          return { tokens: (SHAPE_IMAGE_SIZE / o.patch) ** 2, width: o.width }
        },
        read: (out, layer) => {
          const state = (out as SitOutput).blocks[hiddenStates.layers.indexOf(layer)]
          if (!state) throw new RangeError(`shapes-diffusion has no hidden state "${layer}" (layers: ${hiddenStates.layers.join(', ')})`)
          return state
        },
      }
      const generative: Generative = {
        depth: o.depth,
        tokens: { tokens: (SHAPE_IMAGE_SIZE / o.patch) ** 2, width: o.width },
        clean: (batch) => (batch as ShapesDiffusionBatch).x0,
        encodeClean: (batch, depth) => {
          const b = batch as ShapesDiffusionBatch
          return sit.trunk(b.x0, tf.zerosLike(b.t), b.labels, depth).states.at(-1) as tf.Tensor3D
        },
        variablesTo: (depth) => sit.variablesTo(depth),
      }

      return {
        variables: sit.variables,
        capabilities: { hiddenStates, generative },
        batch({ sources, rng }) {
          const { images, labels } = randomShapes(rng, o.batchSize)
          for (let i = 0; i < labels.length; i++) if (rng.next() < o.labelDropout) labels[i] = CLASSES
          const shape = [o.batchSize, SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE, 1] as [number, number, number, number]
          return {
            sources,
            x0: tf.tensor4d(images, shape),
            noise: tf.tensor4d(normals(rng, o.batchSize * PIXELS), shape),
            t: tf.tensor1d(Float32Array.from({ length: o.batchSize }, () => rng.next())),
            labels: tf.tensor1d(labels, 'int32'),
          }
        },
        forward: (batch) => forward(batch),
        loss: (out, batch): LossParts => ({ vloss: vloss(out, batch) }),
        evaluate() {
          const valBatch: ShapesDiffusionBatch = { sources: [], x0: valX0, noise: valNoise, t: valT, labels: valLabels }
          const v = tf.tidy(() => vloss(forward(valBatch), valBatch))
          const valLoss = v.dataSync()[0] as number
          v.dispose()
          // linear probe of block `probeLayer` at t = 0.5 (mean-pooled tokens), half fit / half held
          // out; the forward gets the null class, so the class embedding cannot leak the answer
          const pooled = tf.tidy(() => {
            const half = tf.fill([o.valSize], 0.5) as tf.Tensor1D
            const xt = tf.add(tf.mul(0.5, valX0), tf.mul(0.5, valNoise))
            const nullLabels = tf.fill([o.valSize], CLASSES, 'int32') as tf.Tensor1D
            return tf.mean(sit.trunk(xt, half, nullLabels, o.probeLayer).states.at(-1)!, 1)
          })
          const probeAcc = linearProbeAccuracy(pooled.dataSync(), val.labels, o.width, CLASSES, Math.floor(o.valSize / 2))
          pooled.dispose()
          // class-conditional samples scored by the evaluator
          const samples = eulerSample((x, t) => sit.forward(x, t, sampleLabels).v, sampleNoise, o.sampleSteps)
          const scored = tf.tidy(() => {
            const { features, logits } = evaluator.run(tf.clipByValue(samples, -1, 1))
            return { features, predicted: tf.argMax(logits, 1) }
          })
          samples.dispose()
          const fd = frechetDistance(gaussianStats(scored.features.dataSync(), o.sampleCount, evaluator.featureWidth), referenceStats)
          const predicted = scored.predicted.dataSync()
          tf.dispose([scored.features, scored.predicted])
          let correct = 0
          for (let i = 0; i < o.sampleCount; i++) if (predicted[i] === sampleLabelValues[i]) correct++
          return { vloss: valLoss, fd, sampleAcc: correct / o.sampleCount, probeAcc }
        },
        dispose() {
          sit.dispose()
          evaluator.dispose()
          tf.dispose(fixedTensors)
        },
      }
    },
  }
}
