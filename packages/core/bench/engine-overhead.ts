/**
 * What tfjs's engine costs per kernel call, apart from the kernel's own work: a gradient step
 * through a chain of `--chain` multiplications of 16-element tensors (the kernels do almost
 * nothing), timed per step and divided by the kernel calls tf.profile counts in it (forward ops,
 * the clones of saved tensors, the gradient's kernels).
 *
 *   npx tsx packages/core/bench/engine-overhead.ts [--backend wasm] [--chain 100] [--steps 300]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendName } from '../src/index.js'

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    chain: { type: 'string', default: '100' },
    steps: { type: 'string', default: '300' },
  },
})
const chain = Number(args.chain)
const steps = Number(args.steps)
if (!(chain >= 1) || !(steps >= 1)) throw new Error(`--chain and --steps must be ≥ 1, got ${args.chain} and ${args.steps}`)

await useBackend(args.backend as BackendName)
const w = tf.variable(tf.randomNormal([16], 0, 1, 'float32', 1))
const c = tf.randomNormal([16], 0, 1, 'float32', 2)
const step = (): tf.Scalar =>
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      let h: tf.Tensor = w
      for (let i = 0; i < chain; i++) h = tf.mul(h, c)
      return tf.sum(h) as tf.Scalar
    }, [w])
    tf.dispose(grads)
    return value
  })

const calls = (await tf.profile(() => step())).kernels.length
for (let i = 0; i < 50; i++) step().dispose()
const t0 = performance.now()
for (let i = 0; i < steps; i++) step().dispose()
const ms = (performance.now() - t0) / steps
console.log(`${tf.getBackend()}: ${calls} kernel calls a step, ${ms.toFixed(3)} ms a step, ${((ms * 1000) / calls).toFixed(2)} µs a kernel call`)
