/**
 * Single calls of the copying and element-wise kernels converge replaces on tuned WASM, on the
 * shapes the tasks call them with: tfjs's stock kernel and converge's swapped in turn in one
 * process, blocks alternating in order every round; CPU µs per call and ns per output element.
 *
 *   npx tsx packages/core/bench/wasm-kernel-calls.ts [--rounds 7] [--block-ms 500]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { alternate, median, ratioCell, stockAgainstTuned } from './kernel-swap.js'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    'block-ms': { type: 'string', default: '500' },
  },
})
const rounds = Number(args.rounds)
const blockMs = Number(args['block-ms'])

/** [kernel, what the call is, inputs, the call] */
const CALLS: [string, string, () => tf.Tensor[], (...xs: tf.Tensor[]) => tf.Tensor][] = [
  ['Slice', "one head of the SiT's qkv: [32, 16, 96] → [32, 16, 16]", () => [tf.randomNormal([32, 16, 96])], (x) => tf.slice(x!, [0, 0, 48], [-1, -1, 16])],
  ['Concat', 'two heads back together: 2 × [32, 16, 16] → [32, 16, 32]', () => [tf.randomNormal([32, 16, 16]), tf.randomNormal([32, 16, 16])], (a, b) => tf.concat([a!, b!], 2)],
  ['PadV2', "a head slice's gradient: [32, 16, 16] → [32, 16, 96]", () => [tf.randomNormal([32, 16, 16])], (x) => tf.pad(x!, [[0, 0], [0, 0], [48, 32]])],
  ['Tile', "the DETR decoder's queries over a batch: [1, 132, 32] × [16, 1, 1]", () => [tf.randomNormal([1, 132, 32])], (x) => tf.tile(x!, [16, 1, 1])],
  ['Minimum', "the DETR GIoU's pairwise boxes: [16, 132, 1, 1] with [16, 1, 6, 1]", () => [tf.randomNormal([16, 132, 1, 1]), tf.randomNormal([16, 1, 6, 1])], (a, b) => tf.minimum(a!, b!)],
  ['Maximum', "the DETR GIoU's pairwise boxes: [16, 132, 1, 1] with [16, 1, 6, 1]", () => [tf.randomNormal([16, 132, 1, 1]), tf.randomNormal([16, 1, 6, 1])], (a, b) => tf.maximum(a!, b!)],
  ['Sign', "FRUGAL's signSGD on 65,536 gradient values", () => [tf.randomNormal([65536])], (x) => tf.sign(x!)],
]

console.log('| kernel | call | stock: µs/call (ns/element) | converge: µs/call (ns/element) | stock / converge (median per round; range) |')
console.log('|---|---|---|---|---|')
for (const [kernel, label, inputs, call] of CALLS) {
  const swap = await stockAgainstTuned([kernel], rounds, blockMs)
  const xs = inputs()
  const size = tf.tidy(() => call(...xs).size)
  const t = await alternate(swap, () => call(...xs).dispose())
  const cell = (us: number) => `${us.toFixed(1)} (${((us * 1000) / size).toFixed(2)})`
  console.log(`| ${kernel} | ${label} | ${cell(median(t.before))} | ${cell(median(t.after))} | ${ratioCell(t)} |`)
  tf.dispose(xs)
}
