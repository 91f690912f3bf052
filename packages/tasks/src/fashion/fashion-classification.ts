import * as tf from '@tensorflow/tfjs'
import { createRng, parseOptions, softmaxCrossEntropy, type Batch, type HiddenStates, type LossParts, type TaskDefinition, type TaskInstance } from '@converge/core'
import { z } from 'zod'
import { EpochSampler } from '../data/epoch-sampler.js'
import { findFashionMnist, loadFashionMnist } from '../data/fashion-mnist.js'
import { imageBatch, wholeSet, type ImageBatch } from '../data/image-batch.js'
import type { LabelledImages } from '../data/labelled-images.js'
import { resizeArea } from '../data/resize.js'
import { splitIndices, subset } from '../data/split.js'
import { cnnNet, mlpNet, variableMaker, type ClassifierNet } from './classifier-nets.js'

export const fashionClassificationOptionsSchema = z
  .object({
    /** `mlp`: one hidden ReLU layer; `cnn`: two 3×3 conv layers (8, 16 filters) with max-pools, dense to 10. */
    model: z.enum(['mlp', 'cnn']).default('mlp'),
    /** Hidden units of the MLP. */
    hidden: z.number().int().positive().default(128),
    /** Side of the model's input: 28 (the original) or 16 (area-averaged, cheaper). */
    imageSize: z.union([z.literal(28), z.literal(16)]).default(28),
    /** Training images drawn from (a seeded subset of the training split); default all of it. */
    trainSize: z.number().int().positive().optional(),
    /** Images held out of the original training file as the fixed validation set the target is judged on. */
    validationSize: z.number().int().positive().default(5000),
    batchSize: z.number().int().positive().default(64),
    /** Seeded augmentation of training batches: random shift by up to cropPadding pixels, left–right flips. */
    augment: z
      .object({ cropPadding: z.number().int().min(0).max(8).default(0), flip: z.boolean().default(false) })
      .strict()
      .default({ cropPadding: 0, flip: false }),
    /** Seed of the validation split and the training subset (fixed across run seeds). */
    dataSeed: z.number().int().min(0).default(1),
    learningRate: z.number().positive().default(1e-3),
    /** Validation accuracy that counts as reaching the target. */
    targetAccuracy: z.number().gt(0).max(1).default(0.85),
    /** Folder holding the Fashion-MNIST files (default: $CONVERGE_FASHION_MNIST_DIR, else Debian's dataset-fashion-mnist). */
    dir: z.string().min(1).optional(),
  })
  .strict()

export type FashionClassificationOptions = z.input<typeof fashionClassificationOptionsSchema>
type Resolved = z.output<typeof fashionClassificationOptionsSchema>

export interface FashionClassificationBatch extends Batch {
  /** float32 [batch, size, size, 1], pixels in [0, 1]. */
  readonly x: tf.Tensor4D
  /** float32 [batch, 10], one-hot. */
  readonly y: tf.Tensor2D
}

export interface FashionClassificationOutput {
  readonly logits: tf.Tensor2D
  readonly hidden: Readonly<Record<string, tf.Tensor3D>>
}

/** Images evaluated per forward pass (bounds evaluation memory). */
const EVAL_CHUNK = 1000

// The original training file at each input size, by folder: resized once per process, shared by runs.
const trainPools = new Map<string, LabelledImages>()

function trainPool(o: Resolved): LabelledImages {
  const data = loadFashionMnist(o.dir === undefined ? {} : { dir: o.dir })
  const key = `${data.dir}:${o.imageSize}`
  let pool = trainPools.get(key)
  if (!pool) {
    pool = o.imageSize === 28 ? data.train : resizeArea(data.train, o.imageSize, o.imageSize)
    trainPools.set(key, pool)
  }
  return pool
}

/**
 * Fashion-MNIST classification (10 classes of clothing, real 28×28 images): an MLP or a small CNN
 * trained with cross-entropy on seeded, optionally augmented batches; metric: accuracy on a fixed
 * validation set held out of the training file by `dataSeed` (the test file stays untouched).
 * Needs the data set (see `loadFashionMnist`): a missing one fails here, before any run.
 */
export function fashionClassification(options: FashionClassificationOptions = {}): TaskDefinition<FashionClassificationBatch, FashionClassificationOutput> {
  const o = parseOptions(fashionClassificationOptionsSchema, options, 'fashionClassification options')
  findFashionMnist(o.dir === undefined ? {} : { dir: o.dir })
  return {
    name: 'fashion-classification',
    options: o,
    target: { metric: 'accuracy', direction: 'max', value: o.targetAccuracy },
    optimizer: { name: 'adam', learningRate: o.learningRate },
    create(init): TaskInstance<FashionClassificationBatch, FashionClassificationOutput> {
      const pool = trainPool(o)
      if (o.validationSize >= pool.count) {
        throw new RangeError(`fashionClassification: validationSize ${o.validationSize} leaves no training images out of ${pool.count}`)
      }
      const split = splitIndices(pool.count, { validation: o.validationSize, seed: o.dataSeed })
      if (o.trainSize !== undefined && o.trainSize > split.train.length) {
        throw new RangeError(`fashionClassification: trainSize ${o.trainSize} exceeds the ${split.train.length} training images left after validation`)
      }
      const trainIdx =
        o.trainSize === undefined ? split.train : Int32Array.from(createRng(`fashion-classification:train:${o.dataSeed}`).shuffle(Array.from(split.train)).slice(0, o.trainSize)).sort()
      const train = subset(pool, trainIdx)
      const validation = subset(pool, split.validation)
      const evalChunks: ImageBatch[] = []
      for (let from = 0; from < validation.count; from += EVAL_CHUNK) {
        evalChunks.push(wholeSet(subset(validation, Int32Array.from({ length: Math.min(EVAL_CHUNK, validation.count - from) }, (_, i) => from + i))))
      }

      const make = variableMaker(init.streams.stream('init'), init.variableName)
      const net: ClassifierNet = o.model === 'mlp' ? mlpNet(make, o.imageSize, o.imageSize, o.hidden, 10) : cnnNet(make, o.imageSize, o.imageSize, 10)
      const sampler = new EpochSampler(train.count)
      const layerNames = Object.keys(net.layers)
      const hiddenStates: HiddenStates = {
        layers: layerNames,
        shape: (layer) => {
          const s = net.layers[layer]
          if (!s) throw new RangeError(`fashion-classification (${o.model}) has no hidden state "${layer}" (layers: ${layerNames.join(', ')})`)
          return s
        },
        read: (out: FashionClassificationOutput, layer) => {
          hiddenStates.shape(layer)
          return out.hidden[layer] as tf.Tensor3D
        },
      }
      const augment = o.augment.cropPadding > 0 || o.augment.flip ? o.augment : undefined
      return {
        variables: net.variables,
        capabilities: { hiddenStates },
        batch({ sources, rng, stream }) {
          const { x, y } = imageBatch(train, sampler.next(rng, stream, o.batchSize), augment ? { augment, rng } : {})
          return { sources, x, y }
        },
        state: () => ({ sampler: sampler.state() }),
        loadState(state) {
          if (!state.sampler || typeof state.sampler !== 'object') throw new TypeError('fashion-classification: loadState expects { sampler } as state() returns')
          sampler.loadState(state.sampler as Record<string, unknown>)
        },
        forward: (batch) => net.forward(batch.x),
        loss: (out, batch): LossParts => ({ ce: softmaxCrossEntropy(batch.y, out.logits) }),
        async evaluate() {
          const sums = tf.tidy(() => {
            let correct: tf.Scalar = tf.scalar(0)
            let ce: tf.Scalar = tf.scalar(0)
            for (const chunk of evalChunks) {
              const { logits } = net.forward(chunk.x)
              const n = chunk.x.shape[0]
              correct = tf.add(correct, tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(chunk.y, 1)), 'float32')))
              ce = tf.add(ce, tf.mul(softmaxCrossEntropy(chunk.y, logits), n))
            }
            return tf.stack([correct, ce])
          })
          const [correct, ce] = await sums.data()
          sums.dispose()
          return { accuracy: (correct as number) / validation.count, loss: (ce as number) / validation.count }
        },
        dispose() {
          for (const v of net.variables) v.dispose()
          for (const c of evalChunks) tf.dispose([c.x, c.y])
        },
      }
    },
  }
}
