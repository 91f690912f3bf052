import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { softmaxCrossEntropy } from '../losses.js'
import { parseOptions } from '../parse-options.js'
import { createRng, type Rng } from '../rng.js'
import type { HiddenStates } from '../capabilities/index.js'
import type { Batch, LossParts, TaskDefinition, TaskInstance } from '../task.js'

/** 2^28 floats (1 GiB): past it, building the dataset fails with a raw typed-array error. */
const MAX_DATASET_FLOATS = 2 ** 28

export const syntheticClassificationOptionsSchema = z
  .object({
    features: z.number().int().positive().default(16),
    classes: z.number().int().min(2).default(4),
    /** Hidden units of the student MLP. */
    hidden: z.number().int().positive().default(32),
    /** Hidden units of the random teacher that labels the data. */
    teacherHidden: z.number().int().positive().default(16),
    trainSize: z.number().int().positive().default(4096),
    evalSize: z.number().int().positive().default(1024),
    batchSize: z.number().int().positive().default(32),
    /** Probability that a training label is replaced by a uniformly random class. */
    labelNoise: z.number().min(0).max(1).default(0),
    /** Seed of the dataset itself (fixed across run seeds: the run seed sets init and order). */
    dataSeed: z.number().int().min(0).default(1),
    learningRate: z.number().positive().default(3e-3),
    /** Held-out accuracy that counts as reaching the target. */
    targetAccuracy: z.number().gt(0).max(1).default(0.85),
  })
  .strict()
  .refine((o) => o.batchSize <= o.trainSize, { message: 'batchSize must be at most trainSize', path: ['batchSize'] })
  .refine((o) => o.trainSize * o.features <= MAX_DATASET_FLOATS, { message: `trainSize × features must be at most ${MAX_DATASET_FLOATS} floats (the dataset is held in memory)`, path: ['trainSize'] })
  .refine((o) => o.evalSize * o.features <= MAX_DATASET_FLOATS, { message: `evalSize × features must be at most ${MAX_DATASET_FLOATS} floats (the dataset is held in memory)`, path: ['evalSize'] })

export type SyntheticClassificationOptions = z.input<typeof syntheticClassificationOptionsSchema>

export interface ClassificationBatch extends Batch {
  readonly x: tf.Tensor2D
  readonly y: tf.Tensor2D
}

export interface ClassificationOutput {
  readonly logits: tf.Tensor2D
  /** Named hidden states (read by tricks through the `hiddenStates` capability). */
  readonly hidden: Readonly<Record<string, tf.Tensor>>
}

interface Dataset {
  readonly x: Float32Array
  readonly labels: Int32Array
}

/** Labels Gaussian inputs with the argmax of a random tanh MLP: learnable, but not linearly. */
function makeDataset(rng: Rng, n: number, o: z.output<typeof syntheticClassificationOptionsSchema>, teacher: Float32Array[], noise: number): Dataset {
  const [w1, w2] = teacher as [Float32Array, Float32Array]
  const { features: f, teacherHidden: h, classes: c } = o
  const x = new Float32Array(n * f)
  const labels = new Int32Array(n)
  const act = new Float64Array(h)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) x[i * f + j] = rng.normal()
    for (let k = 0; k < h; k++) {
      let s = 0
      for (let j = 0; j < f; j++) s += (x[i * f + j] as number) * (w1[j * h + k] as number)
      act[k] = Math.tanh(s)
    }
    let best = 0
    let bestScore = -Infinity
    for (let k = 0; k < c; k++) {
      let s = 0
      for (let m = 0; m < h; m++) s += (act[m] as number) * (w2[m * c + k] as number)
      if (s > bestScore) {
        bestScore = s
        best = k
      }
    }
    labels[i] = noise > 0 && rng.next() < noise ? rng.int(c) : best
  }
  return { x, labels }
}

/**
 * A seeded synthetic classification task: Gaussian inputs labelled by a random teacher MLP,
 * learnt by a one-hidden-layer ReLU student. Metric: held-out accuracy (also reports loss).
 * Small and fast: the task for tests, examples and the bench's sanity suite.
 */
export function syntheticClassification(options: SyntheticClassificationOptions = {}): TaskDefinition<ClassificationBatch, ClassificationOutput> {
  const o = parseOptions(syntheticClassificationOptionsSchema, options, 'syntheticClassification options')
  return {
    name: 'synthetic-classification',
    options: o,
    target: { metric: 'accuracy', direction: 'max', value: o.targetAccuracy },
    optimizer: { name: 'adam', learningRate: o.learningRate },
    create(init): TaskInstance<ClassificationBatch, ClassificationOutput> {
      const dataRng = createRng(`synthetic-classification:${o.dataSeed}`)
      const scale1 = 1 / Math.sqrt(o.features)
      const scale2 = 1 / Math.sqrt(o.teacherHidden)
      const w1 = Float32Array.from({ length: o.features * o.teacherHidden }, () => 1.5 * scale1 * dataRng.normal())
      const w2 = Float32Array.from({ length: o.teacherHidden * o.classes }, () => scale2 * dataRng.normal())
      const trainSet = makeDataset(dataRng, o.trainSize, o, [w1, w2], o.labelNoise)
      const evalSet = makeDataset(dataRng, o.evalSize, o, [w1, w2], 0)
      const evalX = tf.tensor2d(evalSet.x, [o.evalSize, o.features])
      const evalY = tf.tidy(() => tf.oneHot(tf.tensor1d(evalSet.labels, 'int32'), o.classes).toFloat()) as tf.Tensor2D

      const initRng = init.streams.stream('init')
      const glorot = (fanIn: number, fanOut: number, name: string): tf.Variable => {
        const limit = Math.sqrt(6 / (fanIn + fanOut))
        const value = tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', initRng.opSeed())
        const v = tf.variable(value, true, init.variableName(name))
        value.dispose()
        return v
      }
      const zeros = (n: number, name: string): tf.Variable => {
        const value = tf.zeros([n])
        const v = tf.variable(value, true, init.variableName(name))
        value.dispose()
        return v
      }
      const variables = [
        glorot(o.features, o.hidden, 'dense1/kernel'),
        zeros(o.hidden, 'dense1/bias'),
        glorot(o.hidden, o.classes, 'dense2/kernel'),
        zeros(o.classes, 'dense2/bias'),
      ]
      const [k1, b1, k2, b2] = variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable]
      const forward = (x: tf.Tensor2D): ClassificationOutput => {
        const h = tf.relu(tf.add(tf.matMul(x, k1), b1)) as tf.Tensor2D
        return { logits: tf.add(tf.matMul(h, k2), b2) as tf.Tensor2D, hidden: { dense1: h } }
      }

      // One epoch order and cursor per data stream, so a setup phase never shifts the main order.
      const cursors = new Map<string, { order: number[]; next: number }>()
      const xBuf = new Float32Array(o.batchSize * o.features)
      const yIdx = new Int32Array(o.batchSize)
      const hiddenStates: HiddenStates = {
        layers: ['dense1'],
        shape: (layer) => {
          if (layer !== 'dense1') throw new RangeError(`synthetic-classification has no hidden state "${layer}" (layers: dense1)`)
          return { tokens: 1, width: o.hidden }
        },
        read: (out: ClassificationOutput, layer) => {
          hiddenStates.shape(layer)
          return tf.expandDims(out.hidden.dense1 as tf.Tensor2D, 1) as tf.Tensor3D
        },
      }
      return {
        variables,
        capabilities: { hiddenStates },
        batch({ sources, rng, stream }) {
          let cursor = cursors.get(stream)
          if (!cursor) cursors.set(stream, (cursor = { order: [], next: 0 }))
          for (let i = 0; i < o.batchSize; i++) {
            if (cursor.next >= cursor.order.length) {
              cursor.order = rng.shuffle(Array.from({ length: o.trainSize }, (_, k) => k))
              cursor.next = 0
            }
            const idx = cursor.order[cursor.next++] as number
            xBuf.set(trainSet.x.subarray(idx * o.features, (idx + 1) * o.features), i * o.features)
            yIdx[i] = trainSet.labels[idx] as number
          }
          const x = tf.tensor2d(xBuf, [o.batchSize, o.features])
          const y = tf.tidy(() => tf.oneHot(tf.tensor1d(yIdx, 'int32'), o.classes).toFloat()) as tf.Tensor2D
          return { sources, x, y }
        },
        // The epoch orders and cursors: where each stream's data order stands (for checkpoints).
        state: () => ({ cursors: Object.fromEntries([...cursors].map(([stream, c]) => [stream, { order: Int32Array.from(c.order), next: c.next }])) }),
        loadState(state) {
          const saved = state.cursors as Record<string, { order: ArrayLike<number>; next: number }> | undefined
          if (!saved || typeof saved !== 'object') throw new TypeError('synthetic-classification: loadState expects { cursors } as state() returns')
          cursors.clear()
          for (const [stream, c] of Object.entries(saved)) cursors.set(stream, { order: Array.from(c.order), next: c.next })
        },
        forward: (batch) => forward(batch.x),
        loss: (out, batch): LossParts => ({ ce: softmaxCrossEntropy(batch.y, out.logits) }),
        async evaluate() {
          const [acc, loss] = tf.tidy(() => {
            const { logits } = forward(evalX)
            const correct = tf.equal(tf.argMax(logits, 1), tf.argMax(evalY, 1))
            return [tf.mean(tf.cast(correct, 'float32')), softmaxCrossEntropy(evalY, logits)]
          }) as [tf.Scalar, tf.Scalar]
          const both = tf.stack([acc, loss])
          const [accuracy, crossEntropy] = await both.data()
          tf.dispose([acc, loss, both])
          return { accuracy: accuracy as number, loss: crossEntropy as number }
        },
        dispose() {
          for (const v of variables) v.dispose()
          evalX.dispose()
          evalY.dispose()
        },
      }
    },
  }
}
