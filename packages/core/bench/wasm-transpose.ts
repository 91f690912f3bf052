/**
 * CPU time of the WASM kernels the tiled transpose changes, at the shapes of a dense layer's
 * gradients on 512 rows (the ERW suite's full-size SiT): stock tfjs vs converge's kernel fixes,
 * interleaved in one process. The weight gradient's stock side is what the fixes did before the
 * tiled transpose: tfjs's transpose, then a plain matmul.
 *
 *   npx tsx packages/core/bench/wasm-transpose.ts
 */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../src/backends/index.js'

await useBackend('wasm')
const x32 = tf.randomNormal([512, 32], 0, 1, 'float32', 1)
const x64 = tf.randomNormal([512, 64], 0, 1, 'float32', 2)
const y96 = tf.randomNormal([512, 96], 0, 1, 'float32', 3)
/** name → [stock, tuned] */
const cases: Record<string, [() => tf.Tensor, () => tf.Tensor]> = {
  'transpose [512,32]': [() => tf.transpose(x32), () => tf.transpose(x32)],
  'transpose [512,64]': [() => tf.transpose(x64), () => tf.transpose(x64)],
  'sum axis 0 of [512,96] (bias gradient)': [() => tf.sum(y96, 0), () => tf.sum(y96, 0)],
  'matmul [512,64]ᵀ @ [512,96] (weight gradient)': [() => tf.tidy(() => tf.matMul(tf.transpose(x64), y96)), () => tf.matMul(x64, y96, true, false)],
}
const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const times: Record<string, number[]> = {}
for (let round = 0; round < 20; round++) {
  for (const tuned of [false, true]) {
    if (tuned) installWasmKernelFixes()
    else uninstallWasmKernelFixes()
    for (const [name, [stock, fixed]] of Object.entries(cases)) {
      const f = tuned ? fixed : stock
      const t0 = cpu()
      for (let i = 0; i < 40; i++) f().dispose()
      ;(times[`${name}, ${tuned ? 'tuned' : 'stock'}`] ??= []).push(((cpu() - t0) / 40) * 1000)
    }
  }
}
for (const [name, t] of Object.entries(times).sort(([a], [b]) => a.localeCompare(b))) {
  t.sort((a, b) => a - b)
  console.log(`${name.padEnd(60)} median ${t[10]!.toFixed(0)} µs CPU, min ${t[0]!.toFixed(0)}`)
}
