/**
 * Whole training steps with tfjs's stock kernels on WASM and with converge's, for the kernels
 * named (default: the SIMD binary ops of wasm-binary-ops.ts, Add/Sub/Multiply/RealDiv/Minimum/
 * Maximum), swapped in turn in one process per bench model, blocks of steps alternating in order
 * every round; CPU ms per step, ratio per round, and whether the first losses of the two arms
 * are equal.
 *
 *   npx tsx packages/core/bench/wasm-binary.ts [--models sit,char-transformer,transformer,mlp,cnn] [--kernels Minimum,Maximum,Tile] [--rounds 7] [--block-ms 800]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { SIMD_BINARY_KERNELS } from '../src/backends/index.js'
import { MODELS as CORE_MODELS } from './backend-models.js'
import { TASK_MODELS } from './task-models.js'
import { alternate, median, ratioCell, stockAgainstTuned } from './kernel-swap.js'

const MODELS = { ...CORE_MODELS, ...TASK_MODELS }
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'sit,char-transformer,transformer,mlp,cnn' },
    kernels: { type: 'string', default: SIMD_BINARY_KERNELS.join(',') },
    rounds: { type: 'string', default: '7' },
    'block-ms': { type: 'string', default: '800' },
  },
})
const kernels = args.kernels.split(',').map((k) => k.trim()).filter(Boolean)
const swap = await stockAgainstTuned(kernels, Number(args.rounds), Number(args['block-ms']))

console.log(`kernels swapped: ${kernels.join(', ')}\n`)
console.log('| model | stock: ms CPU/step | converge: ms CPU/step | stock / converge (median per round; range) | first 5 losses equal |')
console.log('|---|---|---|---|---|')
for (const name of args.models.split(',')) {
  const spec = MODELS[name]
  if (!spec) throw new Error(`unknown model ${name}; allowed: ${Object.keys(MODELS).join(', ')}`)
  // the same seed's first losses under each arm, from fresh models
  const firstLosses = async (arm: 'before' | 'after'): Promise<number[]> => {
    swap.use(arm)
    const fresh = await spec.create(1, `${name}-${arm}`)
    const losses: number[] = []
    for (let i = 0; i < 5; i++) losses.push(await fresh.step())
    fresh.dispose()
    return losses
  }
  const equal = JSON.stringify(await firstLosses('before')) === JSON.stringify(await firstLosses('after'))
  const model = await spec.create(1, name)
  for (let i = 0; i < 5; i++) await model.step()
  const t = await alternate(swap, () => model.step().then(() => undefined))
  model.dispose()
  console.log(`| ${name} | ${(median(t.before) / 1000).toFixed(1)} | ${(median(t.after) / 1000).toFixed(1)} | ${ratioCell(t)} | ${equal ? 'yes' : 'no'} |`)
}
