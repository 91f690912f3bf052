/**
 * Where a training step's time goes on one backend: runs warm-up steps of each bench model, then
 * profiles steps with tf.profile and prints the kernels by total time (summed over the profiled
 * steps), their call counts and share of the profiled kernel time.
 *
 *   npx tsx packages/core/bench/kernel-profile.ts [--models mlp,transformer,cnn] [--backend wasm] [--stock] [--steps 3] [--top 15]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendName } from '../src/index.js'
import { MODELS } from './backend-models.js'

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mlp,transformer,cnn' },
    backend: { type: 'string', default: 'wasm' },
    stock: { type: 'boolean', default: false },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    top: { type: 'string', default: '15' },
  },
})
const steps = Number(args.steps)
const warmup = Number(args.warmup)
const top = Number(args.top)
const names = args.models.split(',').map((s) => s.trim()).filter(Boolean)
const unknown = names.filter((m) => !MODELS[m])
if (unknown.length) throw new Error(`unknown model(s) ${unknown.join(', ')}; allowed: ${Object.keys(MODELS).join(', ')}`)

await useBackend(args.backend as BackendName, { tunedWasm: !args.stock })
console.log(`# kernel profile, backend ${args.backend}${args.stock ? ' (stock)' : ''}, ${steps} profiled steps after ${warmup} warm-up steps`)
for (const name of names) {
  const model = await MODELS[name]!.create(1, name)
  for (let i = 0; i < warmup; i++) await model.step()
  const byKernel = new Map<string, { ms: number; calls: number }>()
  let wall = 0
  for (let i = 0; i < steps; i++) {
    const started = performance.now()
    const info = await tf.profile(async () => {
      await model.step()
    })
    wall += performance.now() - started
    for (const k of info.kernels) {
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 }
      e.ms += k.kernelTimeMs as number
      e.calls++
      byKernel.set(k.name, e)
    }
  }
  model.dispose()
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0)
  const calls = [...byKernel.values()].reduce((s, e) => s + e.calls, 0)
  console.log(`\n## ${name}: ${(total / steps).toFixed(2)} ms of kernel time per step in ${calls / steps} kernel calls (profiled wall ${(wall / steps).toFixed(1)} ms/step)\n`)
  console.log('| kernel | ms/step | calls/step | share |')
  console.log('|---|---|---|---|')
  const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms)
  for (const [k, e] of rows.slice(0, top)) console.log(`| ${k} | ${(e.ms / steps).toFixed(3)} | ${e.calls / steps} | ${((100 * e.ms) / total).toFixed(1)}% |`)
  const rest = rows.slice(top)
  if (rest.length) console.log(`| ${rest.length} others | ${(rest.reduce((s, [, e]) => s + e.ms, 0) / steps).toFixed(3)} | ${rest.reduce((s, [, e]) => s + e.calls, 0) / steps} | ${((100 * rest.reduce((s, [, e]) => s + e.ms, 0)) / total).toFixed(1)}% |`)
}
