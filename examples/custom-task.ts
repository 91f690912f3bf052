/**
 * A task of your own: two interleaved spirals, classified by a `tf.sequential` model. Shows what
 * docs/writing-a-task.md explains — seeded data and init, variable names, who frees which tensor,
 * evaluation, the target, a data cursor saved in checkpoints — then trains it with Adam and with
 * FRUGAL (which keeps the layers model's output layer on Adam).
 *
 *   npx tsx examples/custom-task.ts [maxSteps]        (default 1500; a few seconds per run on WASM)
 */
import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { createRng, parseOptions, train, type Batch, type TaskDefinition, type TaskInstance } from '@converge/core'
import { frugal } from '@converge/frugal'

const spiralsOptions = z
  .object({
    hidden: z.number().int().positive().default(32),
    batchSize: z.number().int().positive().default(64),
    trainSize: z.number().int().positive().default(2048),
    evalSize: z.number().int().positive().default(512),
    /** Standard deviation of the Gaussian jitter added to every point. */
    noise: z.number().min(0).default(0.15),
    learningRate: z.number().positive().default(1e-2),
    targetAccuracy: z.number().gt(0).max(1).default(0.95),
  })
  .strict()

interface SpiralsBatch extends Batch {
  readonly x: tf.Tensor2D // [batch, 2]
  readonly y: tf.Tensor2D // [batch, 2], one-hot
}

interface SpiralsOutput {
  readonly logits: tf.Tensor2D
}

/** n points, half on each arm; the data seed is fixed so every run seed sees the same dataset. */
function spiralPoints(n: number, noise: number, seed: string): { x: Float32Array; labels: Int32Array } {
  const rng = createRng(seed)
  const x = new Float32Array(2 * n)
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const arm = i % 2
    const t = 0.25 + 2.75 * rng.next() // radius and angle grow together: 1.4 turns per arm
    const angle = 3 * t + arm * Math.PI
    x[2 * i] = t * Math.cos(angle) + noise * rng.normal()
    x[2 * i + 1] = t * Math.sin(angle) + noise * rng.normal()
    labels[i] = arm
  }
  return { x, labels }
}

export function twoSpirals(options: z.input<typeof spiralsOptions> = {}): TaskDefinition<SpiralsBatch, SpiralsOutput> {
  const o = parseOptions(spiralsOptions, options, 'twoSpirals options') // bad options fail here, named
  return {
    name: 'two-spirals',
    options: o,
    target: { metric: 'accuracy', direction: 'max', value: o.targetAccuracy },
    optimizer: { name: 'adam', learningRate: o.learningRate },
    create(init): TaskInstance<SpiralsBatch, SpiralsOutput> {
      const train = spiralPoints(o.trainSize, o.noise, 'two-spirals:train')
      const held = spiralPoints(o.evalSize, o.noise, 'two-spirals:eval')
      const evalX = tf.tensor2d(held.x, [o.evalSize, 2])
      const evalLabels = tf.tensor1d(held.labels, 'int32')

      // Seeded init: every initializer gets a seed drawn from the run's `init` stream. Layer names
      // go through `init.variableName`, so two live instances never share a tfjs variable name,
      // and the output layer is called `logits`, which FRUGAL (and any routed optimizer) keeps on Adam.
      const initRng = init.streams.stream('init')
      const dense = (units: number, name: string, activation: 'tanh' | 'linear', inputShape?: number[]) =>
        tf.layers.dense({ units, activation, name: init.variableName(name), kernelInitializer: tf.initializers.glorotUniform({ seed: initRng.opSeed() }), ...(inputShape ? { inputShape } : {}) })
      const model = tf.sequential({ layers: [dense(o.hidden, 'dense1', 'tanh', [2]), dense(o.hidden, 'dense2', 'tanh'), dense(2, 'logits', 'linear')] })
      // The loop trains tf.Variables; a layers model's LayerVariable.read() is exactly that.
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)

      let order: number[] = []
      let next = 0
      const xBuf = new Float32Array(2 * o.batchSize)
      const yBuf = new Int32Array(o.batchSize)
      return {
        variables,
        batch({ sources, rng }) {
          for (let i = 0; i < o.batchSize; i++) {
            if (next >= order.length) {
              order = rng.shuffle(Array.from({ length: o.trainSize }, (_, k) => k)) // seeded epoch order
              next = 0
            }
            const idx = order[next++]!
            xBuf[2 * i] = train.x[2 * idx]!
            xBuf[2 * i + 1] = train.x[2 * idx + 1]!
            yBuf[i] = train.labels[idx]!
          }
          // The batch's tensors belong to the loop: it frees them once the step is done.
          const x = tf.tensor2d(xBuf, [o.batchSize, 2])
          const y = tf.tidy(() => tf.oneHot(tf.tensor1d(yBuf, 'int32'), 2).toFloat()) as tf.Tensor2D
          return { sources, x, y }
        },
        // Inside the gradient tape: synchronous, tensors only; the loop frees intermediates.
        forward: (batch) => ({ logits: model.apply(batch.x, { training: true }) as tf.Tensor2D }),
        loss: (out, batch) => ({ ce: tf.losses.softmaxCrossEntropy(batch.y, out.logits) as tf.Scalar }),
        async evaluate() {
          const accuracy = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(model.predict(evalX) as tf.Tensor2D, 1), evalLabels), 'float32')))
          const [value] = await accuracy.data()
          accuracy.dispose()
          return { accuracy: value! }
        },
        // The epoch order and cursor are not part of the seeded streams: checkpoints need them.
        state: () => ({ order: Int32Array.from(order), next }),
        loadState(state) {
          order = Array.from(state.order as Int32Array)
          next = state.next as number
        },
        dispose() {
          model.dispose() // frees the variables too
          evalX.dispose()
          evalLabels.dispose()
        },
      }
    },
  }
}

// Run as a script (not when imported by a test).
if (import.meta.url === `file://${process.argv[1]}`) {
  const maxSteps = Number(process.argv[2] ?? 1500)
  const task = twoSpirals()
  for (const [label, tricks] of [
    ['adam', []],
    ['frugal (ρ=0.25)', [frugal({ density: 0.25, updateGap: 100 })]],
  ] as const) {
    const result = await train({ task, tricks: [...tricks], seed: 1, maxSteps, evalEvery: 25, backend: 'wasm', log: 'warn' })
    const best = Math.max(...result.history.map((h) => h.metrics.accuracy ?? 0))
    console.log(`${label.padEnd(16)} steps-to-target ${String(result.stepsToTarget ?? 'not reached').padStart(5)}  best accuracy ${best.toFixed(3)}`)
  }
}
