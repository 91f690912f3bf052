/**
 * CPU time of Sum over leading axes (bias gradients) on WASM: tfjs's stock kernel, the kernel
 * fixes' earlier path (tiled transpose of the reduced axes innermost, then the stock Sum), and the
 * column sums of wasm-sum.ts (the current fixes), taking turns in one process, 15 rounds.
 *
 *   npx tsx packages/core/bench/wasm-sum.ts
 */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'
import { sumAfterTranspose, tiledTranspose } from '../src/backends/wasm-transpose.js'

await useBackend('wasm', { tunedWasm: false })
const stockSum = tf.getKernel('Sum', 'wasm')!
const stockTranspose = tf.getKernel('Transpose', 'wasm')!
await useBackend('wasm')
const current = tf.getKernel('Sum', 'wasm')!
const arms: Record<string, tf.KernelFunc> = {
  stock: stockSum.kernelFunc,
  'tiled transpose + stock Sum (before)': sumAfterTranspose(stockSum, tiledTranspose(stockTranspose)),
  'column sums (now)': current.kernelFunc,
}
const use = (f: tf.KernelFunc) => {
  tf.unregisterKernel('Sum', 'wasm')
  tf.registerKernel({ ...current, kernelFunc: f })
}
const cases: [string, tf.Tensor, number[]][] = [
  ['[512, 64] axis 0', tf.randomNormal([512, 64], 0, 1, 'float32', 1), [0]],
  ['[512, 256] axis 0', tf.randomNormal([512, 256], 0, 1, 'float32', 2), [0]],
  ['[64, 28, 28, 8] axes 0-2', tf.randomNormal([64, 28, 28, 8], 0, 1, 'float32', 3), [0, 1, 2]],
  ['[64, 14, 14, 16] axes 0-2', tf.randomNormal([64, 14, 14, 16], 0, 1, 'float32', 4), [0, 1, 2]],
]
const cpu = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}
const times: Record<string, number[]> = {}
for (let round = 0; round < 15; round++) {
  for (const [arm, f] of Object.entries(arms)) {
    use(f)
    for (const [label, x, axes] of cases) {
      const t0 = cpu()
      for (let i = 0; i < 20; i++) tf.sum(x, axes).dispose()
      ;(times[`${label} | ${arm}`] ??= []).push((cpu() - t0) / 20)
    }
  }
}
use(current.kernelFunc)
console.log('| shape | ' + Object.keys(arms).join(' µs | ') + ' µs |')
console.log('|---|' + Object.keys(arms).map(() => '---|').join(''))
for (const [label] of cases) {
  const med = (arm: string) => [...times[`${label} | ${arm}`]!].sort((a, b) => a - b)[7]!.toFixed(0)
  console.log(`| ${label} | ${Object.keys(arms).map(med).join(' | ')} |`)
}
