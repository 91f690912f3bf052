import * as tf from '@tensorflow/tfjs'
import { createRng, parseOptions, type Batch, type Generative, type HiddenStates, type LossParts, type TaskDefinition, type TaskInstance } from '@converge/core'
import { z } from 'zod'
import { EpochSampler } from '../data/epoch-sampler.js'
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../data/fashion-mnist.js'
import type { LabelledImages } from '../data/labelled-images.js'
import { padImages } from '../data/resize.js'
import { frechetDistance, gaussianStats } from '../diffusion/frechet.js'
import { linearProbeAccuracy } from '../diffusion/linear-probe.js'
import { normals } from '../diffusion/normals.js'
import { eulerSample } from '../diffusion/sampler.js'
import { Sit, type SitOutput } from '../diffusion/sit.js'
import { tidyValues } from '../tidy-values.js'
import { FASHION_EVALUATOR_DIR, loadFashionEvaluator, type FashionEvaluator } from './fashion-evaluator.js'
import { gatherImages, unitScaleImages } from './fashion-images.js'

export const fashionDiffusionOptionsSchema = z
  .object({
    /** Folder of the Fashion-MNIST files (default: $CONVERGE_FASHION_MNIST_DIR, else Debian's folder). */
    dir: z.string().min(1).optional(),
    /**
     * 16: 28 → 16 by area averaging (the CPU size; the teacher's grid at patch 4).
     * 32: 28 → 32 by padding (a GPU size); samples are cropped back to 28 and area-resized to 16
     * for the evaluator, so FD is comparable across sizes.
     */
    imageSize: z.union([z.literal(16), z.literal(32)]).default(16),
    /** Patch side; (imageSize/patch)² tokens (16 at 16×16 with patch 4, the teacher's grid). */
    patch: z.number().int().positive().default(4),
    width: z.number().int().positive().default(48),
    depth: z.number().int().min(1).default(6),
    heads: z.number().int().positive().default(4),
    /** MLP hidden width as a multiple of the width. */
    mlpRatio: z.number().int().positive().default(2),
    batchSize: z.number().int().positive().default(32),
    /** Probability that a training label is replaced by the null class (classifier-free guidance training). */
    labelDropout: z.number().min(0).max(1).default(0.1),
    learningRate: z.number().positive().default(1e-3),
    /** Fixed validation images from the test split (v-loss and probe); a multiple of 10 keeps classes balanced. */
    valSize: z.number().int().min(20).default(200),
    /** Class-conditional samples drawn at each evaluation (cycling through the classes), scored by FD. */
    sampleCount: z.number().int().min(20).default(1000),
    /** Euler steps of the sampling ODE from t = 1 to 0. */
    sampleSteps: z.number().int().positive().default(20),
    /** Samples per forward when sampling (bounds memory). */
    sampleChunk: z.number().int().positive().default(500),
    /** Block whose tokens (at t = 0.5, mean-pooled) the linear probe reads. */
    probeLayer: z.number().int().min(1).default(2),
    /** Seed of the validation and reference sets and the fixed sampling noise (fixed across run seeds). */
    dataSeed: z.number().int().min(0).default(1),
    /** The task's own target: Fréchet distance in evaluator features at most this. */
    targetFd: z.number().positive().default(10),
    /** Directory of the evaluator network (default: the committed one). */
    evaluatorDir: z.string().default(FASHION_EVALUATOR_DIR),
  })
  .strict()
  .refine((o) => o.imageSize % o.patch === 0, { message: 'patch must divide imageSize', path: ['patch'] })
  .refine((o) => o.width % o.heads === 0 && o.width % 4 === 0, { message: 'width must be a multiple of 4 and of heads', path: ['width'] })
  .refine((o) => o.probeLayer <= o.depth, { message: 'probeLayer must be at most depth', path: ['probeLayer'] })

export type FashionDiffusionOptions = z.input<typeof fashionDiffusionOptionsSchema>

/** A training batch: clean images, their noise and times, and (possibly dropped) labels. */
export interface FashionDiffusionBatch extends Batch {
  readonly x0: tf.Tensor4D
  readonly noise: tf.Tensor4D
  readonly t: tf.Tensor1D
  /** Class ids; the null class (= 10) where the label was dropped. */
  readonly labels: tf.Tensor1D
}

export type FashionDiffusionOutput = SitOutput

const CLASSES = FASHION_MNIST_CLASSES.length

/** Fashion-MNIST in [−1, 1] at the task's size: 16 by area averaging, 32 by padding (background −1). */
function atSize(set: LabelledImages, size: 16 | 32): LabelledImages {
  return size === 16 ? unitScaleImages(set, 16) : unitScaleImages(padImages(set, 32, 32, 0), 32)
}

/** `count` indices of `0..total-1`, balanced over classes where possible: a seeded shuffle, then a round-robin over classes. */
function balancedIndices(labels: ArrayLike<number>, exclude: Set<number>, count: number, seed: string): number[] {
  const rng = createRng(seed)
  const byClass: number[][] = Array.from({ length: CLASSES }, () => [])
  for (const i of rng.shuffle(Array.from({ length: labels.length }, (_, k) => k))) if (!exclude.has(i)) byClass[labels[i] as number]!.push(i)
  const out: number[] = []
  for (let k = 0; out.length < count; k++) {
    const pool = byClass[k % CLASSES]!
    const next = pool[Math.floor(k / CLASSES)]
    if (next === undefined) throw new RangeError(`the test split has too few images of class ${k % CLASSES} for ${count} balanced picks`)
    out.push(next)
  }
  return out
}

/**
 * Class-conditional pixel diffusion on real Fashion-MNIST (Zalando Research, MIT licence), 16×16
 * (28 → 16 by area averaging; 32×32 by padding is an option for a GPU, scored after cropping and
 * resizing its samples to 16): a SiT (patch 4 → 16 tokens,
 * width 48, depth 6, adaLN-Zero on time + class) trained on the 60,000-image train split with the
 * linear path x_t = (1 − t)·x₀ + t·ε, v-prediction (v* = ε − x₀), t ~ U(0, 1), label dropout 0.1,
 * batches drawn epoch by epoch from the run's streams. Evaluation, with whatever weights are in the
 * variables (a trick may swap EMA weights in around it): validation v-loss (fixed noise, t on a
 * grid), a linear probe of block `probeLayer`, and `sampleCount` class-conditional samples from
 * fixed noise (`sampleSteps` Euler steps) scored by a separately trained Fashion-MNIST classifier:
 * the Fréchet distance (`fd`) between its features of the samples and of a fixed, class-balanced
 * reference set of as many real test images, and its accuracy on the intended classes
 * (`sampleAcc`). FD noise floor, measured with the committed evaluator: two disjoint sets of real
 * test images score 0.64 at 1,000 images each (0.20 at 2,000); an `fd` near 0.6 is indistinguishable
 * from data at the default `sampleCount`.
 * Provides `generative` and `hiddenStates` (REPA / ERW; `loadFashionTeacher` is the matching
 * 16-token teacher).
 */
export function fashionDiffusion(options: FashionDiffusionOptions = {}): TaskDefinition<FashionDiffusionBatch, FashionDiffusionOutput> {
  const o = parseOptions(fashionDiffusionOptionsSchema, options, 'fashionDiffusion options')
  const size = o.imageSize
  const pixels = size * size
  const tokens = (size / o.patch) ** 2
  return {
    name: 'fashion-diffusion',
    options: { ...o },
    target: { metric: 'fd', direction: 'min', value: o.targetFd },
    optimizer: { name: 'adam', learningRate: o.learningRate },
    async create(init): Promise<TaskInstance<FashionDiffusionBatch, FashionDiffusionOutput>> {
      const data = loadFashionMnist(o.dir !== undefined ? { dir: o.dir } : {})
      const train = atSize(data.train, size)
      const test = atSize(data.test, size)
      const evaluator: FashionEvaluator = await loadFashionEvaluator(o.evaluatorDir)
      const test16 = size === 16 ? test : unitScaleImages(data.test, 16)
      const sit = new Sit({ imageSize: size, patch: o.patch, width: o.width, depth: o.depth, heads: o.heads, mlpRatio: o.mlpRatio, classes: CLASSES }, init.streams.stream('init'), init.variableName)
      const sampler = new EpochSampler(train.count)

      // fixed across run seeds: validation images (test split), their noise and times, the reference
      // set (disjoint test images, as many as samples) and the sampling noise
      const valIdx = balancedIndices(test.labels, new Set(), o.valSize, `fashion-diffusion:val:${o.dataSeed}`)
      const fixed = createRng(`fashion-diffusion:noise:${o.dataSeed}`)
      const shape = (n: number) => [n, size, size, 1] as [number, number, number, number]
      const valX0 = tf.tensor4d(gatherImages(test, valIdx), shape(o.valSize))
      const valLabelValues = Int32Array.from(valIdx, (i) => test.labels[i] as number)
      const valNoise = tf.tensor4d(normals(fixed, o.valSize * pixels), shape(o.valSize))
      const valT = tf.tensor1d(Float32Array.from({ length: o.valSize }, (_, i) => 0.1 + (0.8 * (i % 9)) / 8))
      const valLabels = tf.tensor1d(valLabelValues, 'int32')
      const sampleLabelValues = Int32Array.from({ length: o.sampleCount }, (_, i) => i % CLASSES)
      const sampleNoise = normals(fixed, o.sampleCount * pixels)
      const referenceStats = (() => {
        const refIdx = balancedIndices(test.labels, new Set(valIdx), o.sampleCount, `fashion-diffusion:reference:${o.dataSeed}`)
        const features = new Float32Array(o.sampleCount * evaluator.featureWidth)
        for (let start = 0; start < o.sampleCount; start += o.sampleChunk) {
          const part = refIdx.slice(start, start + o.sampleChunk)
          const x = tf.tensor4d(gatherImages(test16, part), [part.length, 16, 16, 1])
          const { features: f, logits } = evaluator.run(x)
          features.set(f.dataSync(), start * evaluator.featureWidth)
          tf.dispose([x, f, logits])
        }
        return gaussianStats(features, o.sampleCount, evaluator.featureWidth)
      })()
      const fixedTensors = [valX0, valNoise, valT, valLabels]

      const forward = (batch: FashionDiffusionBatch): SitOutput => {
        const tt = tf.reshape(batch.t, [-1, 1, 1, 1])
        const xt = tf.add(tf.mul(tf.sub(1, tt), batch.x0), tf.mul(tt, batch.noise))
        return sit.forward(xt, batch.t, batch.labels)
      }
      const vloss = (out: SitOutput, b: FashionDiffusionBatch) => tf.mean(tf.square(tf.sub(out.v, tf.sub(b.noise, b.x0)))) as tf.Scalar
      const noSuchLayer = (layer: string) => new RangeError(`fashion-diffusion has no hidden state "${layer}" (layers: ${hiddenStates.layers.join(', ')})`)

      const hiddenStates: HiddenStates = {
        layers: sit.blocks.map((_, i) => `block${i + 1}`),
        shape: (layer) => {
          if (!hiddenStates.layers.includes(layer)) throw noSuchLayer(layer)
          return { tokens, width: o.width }
        },
        read: (out, layer) => {
          const state = (out as SitOutput).blocks[hiddenStates.layers.indexOf(layer)]
          if (!state) throw noSuchLayer(layer)
          return state
        },
      }
      const generative: Generative = {
        depth: o.depth,
        tokens: { tokens, width: o.width },
        clean: (batch) => (batch as FashionDiffusionBatch).x0,
        encodeClean: (batch, depth) => {
          const b = batch as FashionDiffusionBatch
          return sit.trunk(b.x0, tf.zerosLike(b.t), b.labels, depth).states.at(-1) as tf.Tensor3D
        },
        variablesTo: (depth) => sit.variablesTo(depth),
      }

      /** Samples `[n, size, size, 1]` as the evaluator's input: clipped to [−1, 1]; at 32, cropped to 28 and area-resized to 16. */
      const evaluatorInput = (samples: tf.Tensor): tf.Tensor4D => {
        const clipped = tf.clipByValue(samples, -1, 1) as tf.Tensor4D
        if (size === 16) return clipped
        const n = clipped.shape[0]
        const bytes = tf.tidy(() => tf.mul(tf.add(tf.slice(clipped, [0, 2, 2, 0], [n, 28, 28, 1]), 1), 127.5))
        clipped.dispose()
        const small = unitScaleImages({ images: bytes.dataSync() as Float32Array, labels: new Int32Array(n), count: n, height: 28, width: 28, channels: 1, classes: CLASSES }, 16)
        bytes.dispose()
        return tf.tensor4d(small.images as Float32Array, [n, 16, 16, 1])
      }

      /** FD and conditional accuracy of `sampleCount` samples from the fixed noise, in chunks. */
      const sampleScores = (): { fd: number; sampleAcc: number } => {
        const ev = evaluator
        const features = new Float32Array(o.sampleCount * ev.featureWidth)
        let correct = 0
        for (let start = 0; start < o.sampleCount; start += o.sampleChunk) {
          const n = Math.min(o.sampleChunk, o.sampleCount - start)
          const labels = tf.tensor1d(sampleLabelValues.subarray(start, start + n), 'int32')
          const noise = tf.tensor4d(sampleNoise.subarray(start * pixels, (start + n) * pixels), shape(n))
          const samples = eulerSample((x, t) => sit.forward(x, t, labels).v, noise, o.sampleSteps)
          const input = evaluatorInput(samples)
          const { features: f, logits } = ev.run(input)
          features.set(f.dataSync(), start * ev.featureWidth)
          const predicted = tidyValues(() => tf.argMax(logits, 1))
          for (let i = 0; i < n; i++) if (predicted[i] === sampleLabelValues[start + i]) correct++
          tf.dispose([labels, noise, samples, input, f, logits])
        }
        const fd = frechetDistance(gaussianStats(features, o.sampleCount, ev.featureWidth), referenceStats)
        return { fd, sampleAcc: correct / o.sampleCount }
      }

      return {
        variables: sit.variables,
        capabilities: { hiddenStates, generative },
        batch({ sources, rng, stream }) {
          const idx = sampler.next(rng, stream, o.batchSize)
          const labels = Int32Array.from(idx, (i) => train.labels[i] as number)
          for (let i = 0; i < labels.length; i++) if (rng.next() < o.labelDropout) labels[i] = CLASSES
          return {
            sources,
            x0: tf.tensor4d(gatherImages(train, idx), shape(o.batchSize)),
            noise: tf.tensor4d(normals(rng, o.batchSize * pixels), shape(o.batchSize)),
            t: tf.tensor1d(Float32Array.from({ length: o.batchSize }, () => rng.next())),
            labels: tf.tensor1d(labels, 'int32'),
          }
        },
        forward: (batch) => forward(batch),
        loss: (out, batch): LossParts => ({ vloss: vloss(out, batch) }),
        evaluate() {
          const valBatch: FashionDiffusionBatch = { sources: [], x0: valX0, noise: valNoise, t: valT, labels: valLabels }
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
          const probeAcc = linearProbeAccuracy(pooled.dataSync(), valLabelValues, o.width, CLASSES, Math.floor(o.valSize / 2))
          pooled.dispose()
          return { vloss: valLoss, probeAcc, ...sampleScores() }
        },
        state: () => ({ sampler: sampler.state() }),
        loadState: (state) => sampler.loadState((state as { sampler: Parameters<EpochSampler['loadState']>[0] }).sampler),
        dispose() {
          sit.dispose()
          evaluator.dispose()
          tf.dispose(fixedTensors)
        },
      }
    },
  }
}
