/**
 * Where a training step's time goes on one backend: every kernel registered for the backend is
 * wrapped to add up its CPU time (process.cpuUsage, so other processes on a loaded machine do not
 * inflate it) and its calls; after warm-up steps, each bench model takes `--steps` steps and the
 * kernels are listed by CPU time per step. What no kernel accounts for ("outside kernels") is the
 * JS around them: tfjs's engine and gradient tape, the optimizer's own loops (the WASM Adam), the
 * loss read-back. A kernel that calls another kernel's function directly counts as one.
 *
 *   npx tsx packages/core/bench/kernel-profile.ts [--models mlp,transformer,cnn,sit,char-transformer] [--backend wasm] [--stock] [--steps 20] [--top 15]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendName } from '../src/index.js'
import { MODELS as CORE_MODELS } from './backend-models.js'
import { TASK_MODELS } from './task-models.js'

const MODELS = { ...CORE_MODELS, ...TASK_MODELS }

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mlp,transformer,cnn' },
    backend: { type: 'string', default: 'wasm' },
    stock: { type: 'boolean', default: false },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    top: { type: 'string', default: '15' },
  },
})
const steps = Number(args.steps)
const warmup = Number(args.warmup)
const top = Number(args.top)
const names = args.models.split(',').map((s) => s.trim()).filter(Boolean)
const unknown = names.filter((m) => !MODELS[m])
if (unknown.length) throw new Error(`unknown model(s) ${unknown.join(', ')}; allowed: ${Object.keys(MODELS).join(', ')}`)

const info = await useBackend(args.backend as BackendName, { tunedWasm: !args.stock })
const cpuUs = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}
const stats = new Map<string, { us: number; calls: number }>()
let depth = 0
for (const config of tf.getKernelsForBackend(info.name)) {
  const inner = config.kernelFunc
  tf.unregisterKernel(config.kernelName, config.backendName)
  tf.registerKernel({
    ...config,
    kernelFunc: (a) => {
      if (depth > 0) return inner(a) // a kernel run from inside another (e.g. through tf ops) counts toward the outer one
      depth++
      const t0 = cpuUs()
      try {
        return inner(a)
      } finally {
        depth--
        const s = stats.get(config.kernelName) ?? { us: 0, calls: 0 }
        s.us += cpuUs() - t0
        s.calls++
        stats.set(config.kernelName, s)
      }
    },
  })
}

console.log(`# kernel CPU time per step, backend ${info.name}${info.name === 'wasm' ? (info.tunedWasm ? ' (tuned)' : ' (stock)') : ''}, ${steps} steps after ${warmup} warm-up steps`)
for (const name of names) {
  const model = await MODELS[name]!.create(1, name)
  for (let i = 0; i < warmup; i++) await model.step()
  stats.clear()
  const t0 = cpuUs()
  for (let i = 0; i < steps; i++) await model.step()
  const totalMs = (cpuUs() - t0) / 1000 / steps
  model.dispose()
  const rows = [...stats].sort((a, b) => b[1].us - a[1].us)
  const kernelMs = rows.reduce((s, [, e]) => s + e.us, 0) / 1000 / steps
  const calls = rows.reduce((s, [, e]) => s + e.calls, 0) / steps
  console.log(`\n## ${name}: ${totalMs.toFixed(2)} ms CPU per step, ${kernelMs.toFixed(2)} ms in ${calls} kernel calls\n`)
  console.log('| kernel | ms/step (CPU) | calls/step | share of the step |')
  console.log('|---|---|---|---|')
  const line = (label: string, us: number, n: number) => console.log(`| ${label} | ${(us / 1000 / steps).toFixed(3)} | ${n / steps} | ${((100 * us) / 1000 / steps / totalMs).toFixed(1)}% |`)
  for (const [k, e] of rows.slice(0, top)) line(k, e.us, e.calls)
  const rest = rows.slice(top)
  if (rest.length) line(`${rest.length} other kernels`, rest.reduce((s, [, e]) => s + e.us, 0), rest.reduce((s, [, e]) => s + e.calls, 0))
  console.log(`| outside kernels (engine, tape, optimizer loops, read-back) | ${(totalMs - kernelMs).toFixed(3)} | - | ${((100 * (totalMs - kernelMs)) / totalMs).toFixed(1)}% |`)
}
