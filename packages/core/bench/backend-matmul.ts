/**
 * The WASM matmul fix in isolation: stock tfjs WASM against converge's tuned kernels for each
 * combination of transpose flags, for BatchMatMul and _FusedMatMul (bias + ReLU), interleaved
 * in one process (stock and tuned alternate every round). Prints the median ms per call.
 *
 *   npx tsx packages/core/bench/backend-matmul.ts [--sizes 256,512] [--rounds 5] [--calls 3]
 *
 * Stock WASM takes about half a second per transposed 512 x 512 call: the defaults keep the whole
 * run near a minute.
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { createRng, useBackend } from '../src/index.js'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256,512' },
    rounds: { type: 'string', default: '5' },
    calls: { type: 'string', default: '3' },
  },
})
const rounds = Number(args.rounds)
const calls = Number(args.calls)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number

await useBackend('wasm')
const rng = createRng('matmul bench')
const random = (n: number) => tf.tensor2d(Float32Array.from({ length: n * n }, () => rng.normal()), [n, n])

console.log(`wasm BatchMatMul / _FusedMatMul, square n x n operands, median ms per call over ${rounds} rounds of ${calls} calls`)
console.log('\n| n | op | flags | stock ms | tuned ms | stock / tuned |')
console.log('|---|---|---|---|---|---|')
for (const n of args.sizes.split(',').map(Number)) {
  const a = random(n)
  const b = random(n)
  const bias = tf.zeros([n])
  for (const op of ['matMul', 'fused'] as const) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const call = () =>
        tf.tidy(() => {
          const y = op === 'matMul' ? tf.matMul(a, b, ta, tb) : tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation: 'relu' })
          y.dataSync()
        })
      const times: Record<'stock' | 'tuned', number[]> = { stock: [], tuned: [] }
      for (let r = 0; r < rounds; r++) {
        for (const mode of r % 2 ? (['tuned', 'stock'] as const) : (['stock', 'tuned'] as const)) {
          await useBackend('wasm', { tunedWasm: mode === 'tuned' })
          call() // first call after a switch: warm-up
          const started = performance.now()
          for (let i = 0; i < calls; i++) call()
          times[mode].push((performance.now() - started) / calls)
        }
      }
      const [s, t] = [median(times.stock), median(times.tuned)]
      const flags = ta || tb ? [ta && 'transposeA', tb && 'transposeB'].filter(Boolean).join(' + ') : 'none'
      console.log(`| ${n} | ${op === 'matMul' ? 'BatchMatMul' : '_FusedMatMul'} | ${flags} | ${s.toFixed(2)} | ${t.toFixed(2)} | ${(s / t).toFixed(1)} |`)
    }
  }
  tf.dispose([a, b, bias])
}
