/**
 * Whole training steps with tfjs's stock Add/Sub/Multiply/RealDiv on WASM and with the SIMD
 * kernels (wasm-binary-ops.ts), swapped in turn in one process per bench model, blocks of steps
 * alternating in order every round; CPU ms per step, ratio per round.
 *
 *   npx tsx packages/core/bench/wasm-binary.ts [--models sit,char-transformer,transformer,mlp,cnn] [--rounds 7] [--block-ms 800]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'
import { SIMD_BINARY_KERNELS } from '../src/backends/index.js'
import { MODELS as CORE_MODELS } from './backend-models.js'
import { TASK_MODELS } from './task-models.js'
import { alternate, median, ratioCell, type Swap } from './kernel-swap.js'

const MODELS = { ...CORE_MODELS, ...TASK_MODELS }
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'sit,char-transformer,transformer,mlp,cnn' },
    rounds: { type: 'string', default: '7' },
    'block-ms': { type: 'string', default: '800' },
  },
})
const rounds = Number(args.rounds)
const blockMs = Number(args['block-ms'])

await useBackend('wasm', { tunedWasm: false })
const stock = Object.fromEntries(SIMD_BINARY_KERNELS.map((n) => [n, tf.getKernel(n, 'wasm')!.kernelFunc]))
await useBackend('wasm')
const simd = Object.fromEntries(SIMD_BINARY_KERNELS.map((n) => [n, tf.getKernel(n, 'wasm')!]))
const swap: Swap = {
  use(arm) {
    for (const n of SIMD_BINARY_KERNELS) {
      tf.unregisterKernel(n, 'wasm')
      tf.registerKernel({ ...simd[n]!, kernelFunc: arm === 'before' ? stock[n]! : simd[n]!.kernelFunc })
    }
  },
  rounds,
  blockMs,
}

console.log('| model | stock: ms CPU/step | SIMD: ms CPU/step | stock / SIMD (median per round; range) |')
console.log('|---|---|---|---|')
for (const name of args.models.split(',')) {
  const spec = MODELS[name]
  if (!spec) throw new Error(`unknown model ${name}; allowed: ${Object.keys(MODELS).join(', ')}`)
  const model = await spec.create(1, name)
  for (let i = 0; i < 5; i++) await model.step()
  const t = await alternate(swap, () => model.step().then(() => undefined))
  model.dispose()
  console.log(`| ${name} | ${(median(t.before) / 1000).toFixed(1)} | ${(median(t.after) / 1000).toFixed(1)} | ${ratioCell(t)} |`)
}
