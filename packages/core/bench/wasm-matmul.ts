/**
 * The SIMD matmul (wasm-simd-matmul.ts) against the path it replaced (transposes made explicit,
 * then tfjs's kernel: XNNPACK for one matrix, the scalar loop for a batch), swapped in turn in one
 * process, the order alternating every round; CPU time (process.cpuUsage), ratio per round.
 * First single matmuls of the bench models' shapes and a few larger ones (µs per call and
 * GFLOP/s), then whole training steps per bench model.
 *
 *   npx tsx packages/core/bench/wasm-matmul.ts [--models sit,transformer,char-transformer,mlp,cnn] [--rounds 5] [--block-ms 1000] [--shapes-only]
 */
import { parseArgs } from 'node:util'
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'
import { tiledTranspose } from '../src/backends/wasm-transpose.js'
import { withoutTransposeFlags } from '../src/backends/wasm-tuning.js'
import { MODELS as CORE_MODELS } from './backend-models.js'
import { TASK_MODELS } from './task-models.js'
import { alternate, median, ratioCell, type Rounds, type Swap } from './kernel-swap.js'

const MODELS = { ...CORE_MODELS, ...TASK_MODELS }
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'sit,transformer,char-transformer,mlp,cnn' },
    rounds: { type: 'string', default: '5' },
    'block-ms': { type: 'string', default: '1000' },
    'shapes-only': { type: 'boolean', default: false },
  },
})
const rounds = Number(args.rounds)
const blockMs = Number(args['block-ms'])

await useBackend('wasm', { tunedWasm: false })
const stockMatmul = tf.getKernel('BatchMatMul', 'wasm')!
const stockTranspose = tf.getKernel('Transpose', 'wasm')!
await useBackend('wasm')
const simd = tf.getKernel('BatchMatMul', 'wasm')!
// the kernel before: the same setup hooks, the transpose-free stock kernel
const before: tf.KernelConfig = { ...simd, kernelFunc: withoutTransposeFlags(stockMatmul, tiledTranspose(stockTranspose)) }
const swap: Swap = {
  use(arm) {
    tf.unregisterKernel('BatchMatMul', 'wasm')
    tf.registerKernel(arm === 'before' ? before : simd)
  },
  rounds,
  blockMs,
}

console.log(`${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${rounds} rounds of ~${blockMs} ms blocks per arm`)
// [batch, m, k, n, transposeA, transposeB]: the models' own matmuls (forward and gradients), then larger ones
const SHAPES: [number, number, number, number, boolean, boolean][] = [
  [32, 16, 16, 16, false, false], [32, 16, 16, 16, false, true], [32, 16, 16, 16, true, false],
  [64, 32, 16, 32, false, false], [64, 32, 32, 16, false, false], [64, 16, 32, 32, true, false],
  [1, 512, 64, 64, false, false], [1, 64, 512, 64, true, false], [1, 512, 64, 64, false, true],
  [1, 512, 64, 176, false, false], [1, 64, 512, 176, true, false], [1, 512, 176, 64, false, true],
  [1, 256, 128, 256, false, false], [1, 128, 256, 256, true, false], [1, 256, 256, 10, false, false], [1, 256, 256, 10, true, false],
  [1, 256, 1024, 256, false, false], [1, 512, 512, 512, false, false],
]
console.log('\n| matmul [batch] m×k·k×n | before: µs/call (GFLOP/s) | SIMD: µs/call (GFLOP/s) | before / SIMD (median per round; range) |')
console.log('|---|---|---|---|')
for (const [batch, m, k, n, ta, tb] of SHAPES) {
  const lead = batch > 1 ? [batch] : []
  const a = tf.randomNormal([...lead, ...(ta ? [k, m] : [m, k])], 0, 1, 'float32', 1)
  const b = tf.randomNormal([...lead, ...(tb ? [n, k] : [k, n])], 0, 1, 'float32', 2)
  const t = await alternate(swap, () => tf.matMul(a, b, ta, tb).dispose())
  const cell = (us: number) => `${us.toFixed(1)} (${((2 * batch * m * k * n) / us / 1e3).toFixed(1)})`
  const label = `${batch > 1 ? `[${batch}] ` : ''}${m}×${k}${ta ? ' (aᵀ)' : ''} · ${k}×${n}${tb ? ' (bᵀ)' : ''}`
  console.log(`| ${label} | ${cell(median(t.before))} | ${cell(median(t.after))} | ${ratioCell(t)} |`)
  tf.dispose([a, b])
}

if (!args['shapes-only']) {
  console.log('\n| model | before: ms CPU/step | SIMD: ms CPU/step | before / SIMD (median per round; range) | losses equal |')
  console.log('|---|---|---|---|---|')
  for (const name of args.models.split(',')) {
    const spec = MODELS[name]
    if (!spec) throw new Error(`unknown model ${name}; allowed: ${Object.keys(MODELS).join(', ')}`)
    // the same seed stepped under each kernel: the first five losses must agree to the bit
    const losses: Rounds = { before: [], after: [] }
    for (const arm of ['before', 'after'] as const) {
      swap.use(arm)
      const model = await spec.create(1, `${name}-${arm}`)
      for (let i = 0; i < 5; i++) losses[arm].push(await model.step())
      model.dispose()
    }
    const model = await spec.create(1, name)
    for (let i = 0; i < 3; i++) await model.step()
    const t = await alternate(swap, () => model.step().then(() => undefined))
    model.dispose()
    const same = losses.before.every((l, i) => Object.is(l, losses.after[i]))
    console.log(`| ${name} | ${(median(t.before) / 1000).toFixed(1)} | ${(median(t.after) / 1000).toFixed(1)} | ${ratioCell(t)} | ${same ? 'yes' : `NO: ${losses.before} vs ${losses.after}`} |`)
  }
}
console.log(`load at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
