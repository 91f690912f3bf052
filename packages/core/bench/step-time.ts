/**
 * CPU and wall time per training step of bench models on one backend, after warm-up steps; one
 * JSON line per model. Run from two checkouts in alternation to compare revisions side by side:
 *
 *   for r in 1 2 3; do for d in /path/to/before /path/to/after; do (cd $d && npx tsx packages/core/bench/step-time.ts --models sit --label $d); done; done
 *
 *   npx tsx packages/core/bench/step-time.ts [--models sit,transformer,char-transformer,mlp,cnn] [--backend wasm] [--steps 40] [--warmup 5] [--label x]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendName } from '../src/index.js'
import { MODELS as CORE_MODELS } from './backend-models.js'
import { TASK_MODELS } from './task-models.js'

const MODELS = { ...CORE_MODELS, ...TASK_MODELS }
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'sit,transformer,char-transformer,mlp,cnn' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '5' },
    label: { type: 'string', default: '' },
  },
})
const steps = Number(args.steps)
const warmup = Number(args.warmup)
if (!(steps >= 1) || !(warmup >= 0)) throw new Error(`--steps must be ≥ 1 and --warmup ≥ 0, got ${args.steps} and ${args.warmup}`)
const names = args.models.split(',').map((s) => s.trim()).filter(Boolean)
const unknown = names.filter((m) => !MODELS[m])
if (unknown.length) throw new Error(`unknown model(s) ${unknown.join(', ')}; allowed: ${Object.keys(MODELS).join(', ')}`)

await useBackend(args.backend as BackendName)
for (const name of names) {
  const model = await MODELS[name]!.create(1, name)
  const losses: number[] = []
  for (let i = 0; i < warmup; i++) losses.push(await model.step())
  const c0 = process.cpuUsage()
  const w0 = performance.now()
  for (let i = 0; i < steps; i++) await model.step()
  const wall = (performance.now() - w0) / steps
  const c = process.cpuUsage(c0)
  model.dispose()
  const cpu = (c.user + c.system) / 1000 / steps
  console.log(JSON.stringify({ label: args.label, model: name, backend: tf.getBackend(), steps, cpuMsPerStep: +cpu.toFixed(3), wallMsPerStep: +wall.toFixed(3), firstLosses: losses, tensors: tf.memory().numTensors }))
}
