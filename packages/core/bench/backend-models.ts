/**
 * The models that bench/backend-speed.ts times. Each is built on the backend active when it is
 * created (its weights, optimizer slots and batches live there) and takes one Adam step per
 * `step()`, reading the loss back asynchronously (WebGPU in Node has no synchronous reads).
 * Weights and data come from seeded JS streams, so every backend starts from the same numbers.
 * Adam is built as train() builds it (createOptimizer): on tuned WASM that is the one-loop
 * WasmAdamOptimizer, bit-identical to tfjs's Adam, elsewhere tfjs's Adam.
 */
import * as tf from '@tensorflow/tfjs'
import { createOptimizer, createRng, SeedStreams, silentLogger, syntheticClassification, type ClassificationBatch, type Rng } from '../src/index.js'

export interface BenchModel {
  /** One optimizer step; resolves to the loss before the update. */
  step(): Promise<number>
  dispose(): void
}

export interface ModelSpec {
  readonly name: string
  readonly description: string
  create(seed: number, id: string): Promise<BenchModel>
}

/** The core's synthetic classification task with its default options, stepped as train() does (minus hooks). */
export const classification: ModelSpec = {
  name: 'classification',
  description: "core's syntheticClassification(), default options: 16 -> 32 ReLU -> 4, batch 32, Adam 3e-3",
  async create(seed, id) {
    const task = syntheticClassification()
    const streams = new SeedStreams(seed)
    const inst = await task.create({ seed, streams, log: silentLogger, variableName: (n) => `${id}/${n}` })
    const opt = createOptimizer({ name: 'adam', learningRate: task.optimizer.learningRate })
    const data = streams.stream('data')
    let step = 0
    return {
      async step() {
        const batch = (await inst.batch({ step: step++, sources: ['train'], rng: data, stream: 'main' })) as ClassificationBatch
        const loss = opt.minimize(() => inst.loss(inst.forward(batch, null as never), batch, null as never).ce as tf.Scalar, true, inst.variables as tf.Variable[])!
        const value = (await loss.data())[0] as number
        tf.dispose([loss, batch.x, batch.y])
        return value
      },
      dispose() {
        opt.dispose()
        inst.dispose()
      },
    }
  },
}

/** A variable from an initial tensor, which is then freed (tf.variable keeps its own copy). */
function variableFrom(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init)
  init.dispose()
  return v
}
const normal = (rng: Rng, shape: number[], scale: number): tf.Variable =>
  variableFrom(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()), shape))
const constant = (shape: number[], value: number): tf.Variable => variableFrom(tf.fill(shape, value))

/** A fixed set of batches made once on the model's backend and cycled through. */
function cycle<T>(items: T[]): () => T {
  let i = 0
  return () => items[i++ % items.length] as T
}

/** The MLP of the earlier reference measurements: batch 256 of 128 features -> 256 ReLU -> 10, softmax cross-entropy, Adam 1e-3. */
export const mlp: ModelSpec = {
  name: 'mlp',
  description: 'MLP 128 -> 256 ReLU -> 10, batch 256, softmax cross-entropy, Adam 1e-3',
  async create(seed) {
    const rng = createRng(`mlp ${seed}`)
    const w1 = normal(rng, [128, 256], Math.sqrt(2 / 128))
    const b1 = constant([256], 0)
    const w2 = normal(rng, [256, 10], Math.sqrt(1 / 256))
    const b2 = constant([10], 0)
    const vars = [w1, b1, w2, b2]
    const batches = Array.from({ length: 4 }, () => {
      const x = tf.tensor(Float32Array.from({ length: 256 * 128 }, () => rng.normal()), [256, 128])
      const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 256 }, () => rng.int(10)), 'int32'), 10).toFloat()
      return { x, y }
    })
    const next = cycle(batches)
    const opt = createOptimizer({ name: 'adam', learningRate: 1e-3 })
    return {
      async step() {
        const { x, y } = next()
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)) as tf.Scalar, true, vars)!
        const value = (await loss.data())[0] as number
        loss.dispose()
        return value
      },
      dispose() {
        opt.dispose()
        tf.dispose([...vars, ...batches.flatMap((b) => [b.x, b.y])])
      },
    }
  },
}

export interface TransformerShape {
  readonly batch: number
  readonly seq: number
  readonly dModel: number
  readonly heads: number
  readonly layers: number
  readonly ff: number
  readonly vocab: number
}

export const TRANSFORMER_SHAPE: TransformerShape = { batch: 32, seq: 16, dModel: 64, heads: 2, layers: 2, ff: 256, vocab: 64 }

/** Layer norm over the last axis, through tf.moments. */
function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true)
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta)
}

/** tanh approximation of GELU, with tf.pow(x, 3) as commonly written. */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)))
}

/**
 * A small decoder-only transformer: embedding as oneHot @ E plus learned positions, pre-LN blocks
 * (causal softmax attention, tanh-GELU feed-forward), a final LN and a linear read-out; loss is
 * the mean negative log-likelihood from logSoftmax; Adam 1e-3. The task: predict the previous
 * token (position 0 predicts token 0), which needs attention.
 */
export function transformer(shape: TransformerShape = TRANSFORMER_SHAPE): ModelSpec {
  const { batch: b, seq: s, dModel: d, heads: h, layers, ff, vocab: v } = shape
  const dh = d / h
  return {
    name: 'transformer',
    description: `transformer: batch ${b}, seq ${s}, d_model ${d}, ${h} heads, ${layers} pre-LN layers, FF ${ff} (tanh-GELU), vocab ${v}, Adam 1e-3`,
    async create(seed) {
      const rng = createRng(`transformer ${seed}`)
      const embed = normal(rng, [v, d], 0.02)
      const pos = normal(rng, [s, d], 0.02)
      const blocks = Array.from({ length: layers }, () => ({
        ln1g: constant([d], 1),
        ln1b: constant([d], 0),
        wq: normal(rng, [d, d], 1 / Math.sqrt(d)),
        wk: normal(rng, [d, d], 1 / Math.sqrt(d)),
        wv: normal(rng, [d, d], 1 / Math.sqrt(d)),
        wo: normal(rng, [d, d], 1 / Math.sqrt(d)),
        ln2g: constant([d], 1),
        ln2b: constant([d], 0),
        w1: normal(rng, [d, ff], 1 / Math.sqrt(d)),
        b1: constant([ff], 0),
        w2: normal(rng, [ff, d], 1 / Math.sqrt(ff)),
        b2: constant([d], 0),
      }))
      const lnfg = constant([d], 1)
      const lnfb = constant([d], 0)
      const out = normal(rng, [d, v], 1 / Math.sqrt(d))
      const vars = [embed, pos, ...blocks.flatMap((blk) => Object.values(blk)), lnfg, lnfb, out]
      // Additive causal mask: 0 on and below the diagonal, -1e9 above.
      const mask = tf.tensor(Float32Array.from({ length: s * s }, (_, i) => (i % s > Math.floor(i / s) ? -1e9 : 0)), [s, s])
      const batches = Array.from({ length: 4 }, () => {
        const tokens = Int32Array.from({ length: b * s }, () => rng.int(v))
        const targets = tokens.map((_, i) => (i % s === 0 ? (tokens[i] as number) : (tokens[i - 1] as number)))
        return { x: tf.oneHot(tf.tensor1d(tokens, 'int32'), v).toFloat(), y: tf.oneHot(tf.tensor1d(targets, 'int32'), v).toFloat() }
      })
      const next = cycle(batches)
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [b, s, h, dh]), [0, 2, 1, 3])
      const forward = (x: tf.Tensor): tf.Tensor => {
        let hidden = tf.reshape(tf.add(tf.reshape(tf.matMul(x, embed), [b, s, d]), pos), [b * s, d])
        for (const blk of blocks) {
          const n1 = layerNorm(hidden, blk.ln1g, blk.ln1b)
          const [q, k, val] = [tf.matMul(n1, blk.wq), tf.matMul(n1, blk.wk), tf.matMul(n1, blk.wv)].map(heads) as [tf.Tensor, tf.Tensor, tf.Tensor]
          const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), mask)
          const att = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), val), [0, 2, 1, 3]), [b * s, d])
          hidden = tf.add(hidden, tf.matMul(att, blk.wo))
          const n2 = layerNorm(hidden, blk.ln2g, blk.ln2b)
          hidden = tf.add(hidden, tf.add(tf.matMul(gelu(tf.add(tf.matMul(n2, blk.w1), blk.b1)), blk.w2), blk.b2))
        }
        return tf.matMul(layerNorm(hidden, lnfg, lnfb), out)
      }
      const opt = createOptimizer({ name: 'adam', learningRate: 1e-3 })
      return {
        async step() {
          const { x, y } = next()
          const loss = opt.minimize(() => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(forward(x))), -1))) as tf.Scalar, true, vars)!
          const value = (await loss.data())[0] as number
          loss.dispose()
          return value
        },
        dispose() {
          opt.dispose()
          tf.dispose([...vars, mask, ...batches.flatMap((batch) => [batch.x, batch.y])])
        },
      }
    },
  }
}


/**
 * A tiny Fashion-MNIST-shaped CNN: batch 64 of 28×28×1 → conv 3×3, 8 filters, 'same', ReLU →
 * 2×2 max-pool → conv 3×3, 16 filters, 'same', ReLU → 2×2 max-pool → dense 784 → 10, softmax
 * cross-entropy, Adam 1e-3. He-normal filters and weights, zero biases; inputs are seeded noise
 * (the step's cost does not depend on the pixels).
 */
export const cnn: ModelSpec = {
  name: 'cnn',
  description: 'CNN 28x28x1 -> conv3x3 8 ReLU -> maxpool 2 -> conv3x3 16 ReLU -> maxpool 2 -> dense 784 -> 10, batch 64, Adam 1e-3',
  async create(seed) {
    const rng = createRng(`cnn ${seed}`)
    const k1 = normal(rng, [3, 3, 1, 8], Math.sqrt(2 / 9))
    const c1 = constant([8], 0)
    const k2 = normal(rng, [3, 3, 8, 16], Math.sqrt(2 / 72))
    const c2 = constant([16], 0)
    const w = normal(rng, [7 * 7 * 16, 10], Math.sqrt(1 / 784))
    const bias = constant([10], 0)
    const vars = [k1, c1, k2, c2, w, bias]
    const batches = Array.from({ length: 4 }, () => {
      const x = tf.tensor(Float32Array.from({ length: 64 * 28 * 28 }, () => rng.normal()), [64, 28, 28, 1])
      const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 64 }, () => rng.int(10)), 'int32'), 10).toFloat()
      return { x, y }
    })
    const next = cycle(batches)
    const forward = (x: tf.Tensor): tf.Tensor => {
      const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, k1 as tf.Tensor4D, 1, 'same'), c1)) as tf.Tensor4D, 2, 2, 'valid')
      const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, k2 as tf.Tensor4D, 1, 'same'), c2)) as tf.Tensor4D, 2, 2, 'valid')
      return tf.add(tf.matMul(tf.reshape(h2, [64, 7 * 7 * 16]), w), bias)
    }
    const opt = createOptimizer({ name: 'adam', learningRate: 1e-3 })
    return {
      async step() {
        const { x, y } = next()
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, true, vars)!
        const value = (await loss.data())[0] as number
        loss.dispose()
        return value
      },
      dispose() {
        opt.dispose()
        tf.dispose([...vars, ...batches.flatMap((b) => [b.x, b.y])])
      },
    }
  },
}

export const MODELS: Record<string, ModelSpec> = { classification, mlp, transformer: transformer(), cnn }
