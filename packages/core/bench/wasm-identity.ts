/**
 * CPU time per training step on tuned WASM with tfjs's copying Identity and with the shared one
 * (wasm-identity.ts), the two swapped in turn on one model per bench model, in blocks of steps,
 * the order alternating every round; the ratio is per round.
 *
 *   npx tsx packages/core/bench/wasm-identity.ts [--models sit,transformer,char-transformer] [--rounds 5] [--block-ms 1500]
 */
import { parseArgs } from 'node:util'
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'
import { MODELS as CORE_MODELS } from './backend-models.js'
import { TASK_MODELS } from './task-models.js'

const MODELS = { ...CORE_MODELS, ...TASK_MODELS }
const { values: args } = parseArgs({
  options: { models: { type: 'string', default: 'sit,transformer,char-transformer' }, rounds: { type: 'string', default: '5' }, 'block-ms': { type: 'string', default: '1500' } },
})
const rounds = Number(args.rounds)
const blockMs = Number(args['block-ms'])

await useBackend('wasm', { tunedWasm: false })
const copying = tf.getKernel('Identity', 'wasm')!
await useBackend('wasm')
const shared = tf.getKernel('Identity', 'wasm')!
const use = (config: tf.KernelConfig) => {
  tf.unregisterKernel('Identity', 'wasm')
  tf.registerKernel(config)
}
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
console.log(`${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${rounds} rounds of ~${blockMs} ms blocks per arm`)
console.log('| model | copying Identity, ms CPU/step | shared Identity, ms CPU/step | shared / copying (median per round; range) |')
console.log('|---|---|---|---|')
for (const name of args.models.split(',')) {
  const model = await MODELS[name]!.create(1, name)
  for (let i = 0; i < 3; i++) await model.step()
  const t = { copying: [] as number[], shared: [] as number[] }
  for (let r = 0; r < rounds; r++) {
    for (const arm of r % 2 ? (['shared', 'copying'] as const) : (['copying', 'shared'] as const)) {
      use(arm === 'shared' ? shared : copying)
      const w0 = performance.now()
      const c0 = cpuMs()
      let n = 0
      while (performance.now() - w0 < blockMs || n < 2) {
        await model.step()
        n++
      }
      t[arm].push((cpuMs() - c0) / n)
    }
  }
  use(shared)
  model.dispose()
  const ratios = t.shared.map((s, i) => s / t.copying[i]!)
  console.log(`| ${name} | ${median(t.copying).toFixed(1)} | ${median(t.shared).toFixed(1)} | **${median(ratios).toFixed(3)}** (${Math.min(...ratios).toFixed(3)} – ${Math.max(...ratios).toFixed(3)}) |`)
}
console.log(`load at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
