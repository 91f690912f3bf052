/**
 * Loop overhead: train() with no tricks against a hand-written tfjs loop doing the same math
 * (same task methods and batches, Adam, variableGrads + applyGradients in tf.tidy, loss read
 * back every step). Both run in one process, interleaved in blocks of `--block` steps (the hand
 * loop runs inside train()'s onStep observer, which train() does not time), so machine drift hits
 * both alike. Prints per-round medians and the ratio train()/hand.
 *
 *   pnpm --filter @converge/core bench:overhead [--backend wasm|cpu] [--steps 1000] [--rounds 7] [--block 10]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { SeedStreams, silentLogger, syntheticClassification, train, type BackendName, type ClassificationBatch } from '../src/index.js'

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '7' },
    block: { type: 'string', default: '10' },
    hidden: { type: 'string', default: '128' },
    batch: { type: 'string', default: '64' },
  },
})
const steps = Number(values.steps)
const block = Number(values.block)
const task = syntheticClassification({ hidden: Number(values.hidden), batchSize: Number(values.batch) })

/** The hand-written loop, as a user without converge would write it. */
async function handLoop(seed: number) {
  const streams = new SeedStreams(seed)
  const inst = await task.create({ seed, streams, log: silentLogger, variableName: (n) => `hand${seed}/${n}` })
  const opt = tf.train.adam(task.optimizer.learningRate)
  const data = streams.stream('data')
  let step = 0
  return {
    /** Synchronous, so it can run inside train()'s onStep observer. */
    run(n: number): number {
      const started = performance.now()
      for (let i = 0; i < n; i++, step++) {
        const batch = inst.batch({ step, sources: ['train'], rng: data, stream: 'main' }) as ClassificationBatch
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(
            () => inst.loss(inst.forward(batch, null as never), batch, null as never).ce as tf.Scalar,
            inst.variables as tf.Variable[],
          )
          value.dataSync()
          opt.applyGradients(grads as never)
        })
        batch.x.dispose()
        batch.y.dispose()
      }
      return performance.now() - started
    },
    dispose() {
      opt.dispose()
      inst.dispose()
    },
  }
}

async function round(seed: number): Promise<{ hand: number; loop: number }> {
  const hand = await handLoop(seed)
  let handMs = 0
  const result = await train({
    task,
    seed,
    maxSteps: steps,
    evalEvery: steps,
    backend: values.backend as BackendName,
    onStep: (r) => {
      if (r.step % block === 0) handMs += hand.run(block)
    },
  })
  hand.dispose()
  return { hand: handMs / steps, loop: result.trainMs / steps }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
await round(99) // warm-up: kernel set-up, WASM heap growth
const rounds = Array.from({ length: Number(values.rounds) }, (_, i) => i + 1)
const results = []
for (const seed of rounds) results.push(await round(seed))
const ratios = results.map((r) => r.loop / r.hand)
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(', ')
console.log(`${values.backend}, ${steps} steps x ${rounds.length} rounds, blocks of ${block}, hidden ${values.hidden}, batch ${values.batch}`)
console.log(`hand-written loop ms/step: median ${median(results.map((r) => r.hand)).toFixed(3)}  [${fmt(results.map((r) => r.hand))}]`)
console.log(`train() ms/step:           median ${median(results.map((r) => r.loop)).toFixed(3)}  [${fmt(results.map((r) => r.loop))}]`)
console.log(`ratio train()/hand:        median ${median(ratios).toFixed(3)}  [${fmt(ratios)}]`)
