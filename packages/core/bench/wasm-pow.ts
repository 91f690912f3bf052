/**
 * `Pow` by an integer exponent: tfjs's stock WASM kernel (libc powf per element) and converge's
 * (wasm-pow.ts) swapped in turn in one process, blocks alternating in order every round; CPU µs per
 * call on the bench transformer's GELU shape, then whole steps of the bench transformer, whose
 * tanh-GELU is written with `tf.pow(x, 3)`. Also counts, on the same inputs, the elements where the
 * two kernels differ and by how many units in the last place.
 *
 *   npx tsx packages/core/bench/wasm-pow.ts [--rounds 7] [--block-ms 800]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { MODELS } from './backend-models.js'
import { alternate, median, ratioCell, stockAgainstTuned } from './kernel-swap.js'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    'block-ms': { type: 'string', default: '800' },
  },
})

const swap = await stockAgainstTuned(['Pow'], Number(args.rounds), Number(args['block-ms']))

const x = tf.randomNormal([512, 256], 0, 1, 'float32', 1)
console.log('| Pow on [512, 256] | stock: µs/call (ns/element) | tuned: µs/call (ns/element) | stock / tuned (median per round; range) | elements that differ (all by 1 ulp) |')
console.log('|---|---|---|---|---|')
for (const n of [3, 2, -1]) {
  const t = await alternate(swap, () => tf.pow(x, n).dispose())
  swap.use('before')
  const before = new Int32Array((tf.pow(x, n).dataSync() as Float32Array).buffer)
  swap.use('after')
  const after = new Int32Array((tf.pow(x, n).dataSync() as Float32Array).buffer)
  let [differ, maxUlps] = [0, 0]
  for (let i = 0; i < before.length; i++) {
    const ulps = Math.abs(before[i]! - after[i]!)
    if (ulps > 0) differ++
    maxUlps = Math.max(maxUlps, ulps)
  }
  if (maxUlps > 1) throw new Error(`x^${n}: the kernels differ by ${maxUlps} ulps somewhere`)
  const cell = (us: number) => `${us.toFixed(1)} (${((us * 1000) / x.size).toFixed(2)})`
  console.log(`| x^${n} | ${cell(median(t.before))} | ${cell(median(t.after))} | ${ratioCell(t)} | ${differ} of ${x.size} |`)
}
x.dispose()

console.log('\n| model | stock Pow: ms CPU/step | tuned Pow: ms CPU/step | stock / tuned (median per round; range) |')
console.log('|---|---|---|---|')
const model = await MODELS.transformer!.create(1, 'transformer')
for (let i = 0; i < 5; i++) await model.step()
const t = await alternate(swap, () => model.step().then(() => undefined))
model.dispose()
console.log(`| transformer | ${(median(t.before) / 1000).toFixed(1)} | ${(median(t.after) / 1000).toFixed(1)} | ${ratioCell(t)} |`)
