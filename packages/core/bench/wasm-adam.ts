/**
 * CPU time of one Adam step over the 51 variables of the ERW suite's full-size SiT on WASM: tfjs's
 * Adam vs WasmAdamOptimizer, interleaved in one process, then a check that both left the same bits.
 *
 *   npx tsx packages/core/bench/wasm-adam.ts
 */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'
import { WasmAdamOptimizer } from '../src/backends/wasm-adam.js'
await useBackend('wasm')
// the 51 variables of the full-size SiT (width 32, depth 4, patch 4, mlp 2, 7 classes)
const d = 32, h = 64
const shapes: number[][] = [[16, d], [d], [d, d], [d], [d, d], [d], [7, d]]
for (let b = 0; b < 4; b++) shapes.push([d, 6 * d], [6 * d], [d, 3 * d], [3 * d], [d, d], [d], [d, h], [h], [h, d], [d])
shapes.push([d, 2 * d], [2 * d], [d, 16], [16])
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const make = (tag: string) => shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.1, 'float32', i + 1), true, `${tag}${i}`))
const vs = { stock: make('s'), fused: make('f') }
const opt = { stock: tf.train.adam(1e-3), fused: new WasmAdamOptimizer(1e-3) }
const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 100 + i))
const times: Record<string, number[]> = { stock: [], fused: [] }
for (let r = 0; r < 30; r++) for (const k of ['stock', 'fused'] as const) {
  const named = Object.fromEntries(vs[k].map((v, i) => [v.name, grads[i]!])) as Parameters<tf.AdamOptimizer['applyGradients']>[0]
  const t0 = cpu()
  for (let i = 0; i < 10; i++) opt[k].applyGradients(named)
  times[k]!.push((cpu() - t0) / 10)
}
for (const [k, t] of Object.entries(times)) { t.sort((a, b) => a - b); console.log(`${k}: applyGradients CPU ms median ${t[15]!.toFixed(2)}, min ${t[0]!.toFixed(2)}`) }
vs.stock.forEach((v, i) => { if (Array.from(v.dataSync()).some((x, j) => x !== vs.fused[i]!.dataSync()[j])) console.log('MISMATCH', i) })
