/**
 * CPU time of Sum over leading axes (bias gradients) on WASM: tfjs's stock kernel, the kernel
 * fixes' first path (tiled transpose of the reduced axes innermost, then the stock Sum), column
 * sums as a JS loop (the second), and the SIMD column sums of wasm-sum.ts (the current fixes),
 * taking turns in one process, 15 rounds.
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
/** Column sums as a JS loop over the heap (float32 stores), as the fixes first summed columns. */
const jsColumnSums: tf.KernelFunc = (args) => {
  const { inputs, attrs, backend } = args as unknown as { inputs: { x: tf.TensorInfo }; attrs: { axis: number[] }; backend: { makeOutput(s: number[], d: string): tf.TensorInfo; typedArrayFromHeap(t: tf.TensorInfo): Float32Array } }
  const kept = inputs.x.shape.slice(attrs.axis.length)
  const cols = kept.reduce((a, b) => a * b, 1)
  const rows = inputs.x.shape.slice(0, attrs.axis.length).reduce((a, b) => a * b, 1)
  const out = backend.makeOutput(kept, 'float32')
  const src = backend.typedArrayFromHeap(inputs.x)
  const sums = backend.typedArrayFromHeap(out)
  sums.fill(0)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sums[c]! += src[r * cols + c]!
  return out as never
}
const arms: Record<string, tf.KernelFunc> = {
  stock: stockSum.kernelFunc,
  'tiled transpose + stock Sum (first)': sumAfterTranspose(stockSum, tiledTranspose(stockTranspose)),
  'JS column sums (second)': jsColumnSums,
  'SIMD column sums (now)': current.kernelFunc,
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
