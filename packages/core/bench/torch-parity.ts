/**
 * Tuned WASM against PyTorch on the CPU, side by side: each model of backend-models.ts and
 * task-models.ts on tfjs (in this process) and its PyTorch twin (torch_twins.py, a child
 * process), both on one thread,
 * taking turns in blocks of steps, in an order that alternates every round. Only one side runs
 * at a time (the other waits for its next command), so both see the same machine. Reports, per
 * model, the median ms/step of each side (wall and CPU time) and the median per-round ratio
 * tfjs / PyTorch (above 1: tfjs slower). Needs PyTorch (Debian: `apt-get install python3-torch`);
 * CI does not run it.
 *
 *   npx tsx packages/core/bench/torch-parity.ts [--models mlp,transformer,cnn,sit,char-transformer] [--rounds 5] [--block-ms 1000]
 *       [--warmup 5] [--python /usr/bin/python3] [--json out.json]
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'
import { MODELS as CORE_MODELS, type BenchModel } from './backend-models.js'
import { TASK_MODELS } from './task-models.js'

const MODELS = { ...CORE_MODELS, ...TASK_MODELS }

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'mlp,transformer,cnn,sit,char-transformer' },
    rounds: { type: 'string', default: '5' },
    'block-ms': { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '5' },
    python: { type: 'string', default: 'python3' },
    json: { type: 'string' },
  },
})
const fail = (message: string): never => {
  console.error(message)
  process.exit(1)
}
const names = args.models.split(',').map((s) => s.trim()).filter(Boolean)
const unknown = names.filter((m) => !MODELS[m])
if (unknown.length) fail(`unknown model(s) ${unknown.join(', ')}; allowed: ${Object.keys(MODELS).join(', ')}`)
const rounds = Number(args.rounds)
const blockMs = Number(args['block-ms'])
const warmup = Number(args.warmup)
if (![rounds, blockMs, warmup].every((n) => Number.isInteger(n) && n >= 1)) fail('--rounds, --block-ms and --warmup must be positive integers')

// PyTorch side: one thread for its intra-op pool, OpenMP and OpenBLAS alike.
const oneThread = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' }
const child = spawn(args.python, [fileURLToPath(new URL('./torch_twins.py', import.meta.url)), '--threads', '1'], {
  env: { ...process.env, ...oneThread },
  stdio: ['pipe', 'pipe', 'inherit'],
})
child.on('error', (e) => fail(`cannot start ${args.python}: ${e.message}`))
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
async function torch<T>(msg: object): Promise<T> {
  child.stdin.write(`${JSON.stringify(msg)}\n`)
  const { value, done } = await lines.next()
  if (done) fail('the PyTorch process ended (is PyTorch installed for this python? `python3 -c "import torch"`)')
  const reply = JSON.parse(value as string) as T & { error?: string }
  if (reply.error) fail(`PyTorch side: ${reply.error}`)
  return reply
}

interface TorchInfo {
  torch: string
  threads: number
  python: string
  blas: string[]
  blasLoaded: string[]
  models: string[]
}
interface Block {
  steps: number
  wallMs: number
  cpuMs: number
}
const info = await torch<TorchInfo>({ op: 'info' })
const missing = names.filter((n) => !info.models.includes(n))
if (missing.length) fail(`no PyTorch twin of ${missing.join(', ')} (twins: ${info.models.join(', ')})`)
const backend = await useBackend('wasm')

const cpuNow = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
async function tfjsBlock(model: BenchModel): Promise<Block> {
  const t0 = performance.now()
  const c0 = cpuNow()
  let steps = 0
  while (performance.now() - t0 < blockMs || steps < 2) {
    await model.step()
    steps++
  }
  return { steps, wallMs: performance.now() - t0, cpuMs: cpuNow() - c0 }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ')

console.log(`# tuned WASM vs PyTorch CPU, side by side (${new Date().toISOString()})`)
console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, tfjs ${tf.version.tfjs} (${backend.name}, tuned ${backend.tunedWasm}), load ${load()}`)
console.log(`PyTorch ${info.torch} (python ${info.python}), ${info.threads} thread; BLAS loaded: ${info.blasLoaded.join(', ') || 'none found'}`)
console.log(`${rounds} rounds, blocks of ~${blockMs} ms per side, ${warmup} warm-up steps; ratio = tfjs / PyTorch per round (above 1: tfjs slower)\n`)

interface Row {
  model: string
  tfjs: { wall: number[]; cpu: number[]; losses: number[] }
  torch: { wall: number[]; cpu: number[]; losses: number[] }
  wallRatio: number[]
  cpuRatio: number[]
}
const rows: Row[] = []
for (const name of names) {
  const model = await MODELS[name]!.create(1, name)
  const tfjsLosses: number[] = []
  for (let i = 0; i < warmup; i++) tfjsLosses.push(await model.step())
  const { losses: torchLosses } = await torch<{ losses: number[] }>({ op: 'create', model: name, warmup })
  const row: Row = { model: name, tfjs: { wall: [], cpu: [], losses: tfjsLosses }, torch: { wall: [], cpu: [], losses: torchLosses }, wallRatio: [], cpuRatio: [] }
  for (let r = 0; r < rounds; r++) {
    let a: Block
    let b: Block
    if (r % 2 === 0) {
      a = await tfjsBlock(model)
      b = await torch<Block>({ op: 'block', model: name, ms: blockMs })
    } else {
      b = await torch<Block>({ op: 'block', model: name, ms: blockMs })
      a = await tfjsBlock(model)
    }
    row.tfjs.wall.push(a.wallMs / a.steps)
    row.tfjs.cpu.push(a.cpuMs / a.steps)
    row.torch.wall.push(b.wallMs / b.steps)
    row.torch.cpu.push(b.cpuMs / b.steps)
    row.wallRatio.push(a.wallMs / a.steps / (b.wallMs / b.steps))
    row.cpuRatio.push(a.cpuMs / a.steps / (b.cpuMs / b.steps))
  }
  model.dispose()
  rows.push(row)
  console.error(`${name} done (load ${load()})`)
}
child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`)

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const range = (xs: number[]) => `${f(Math.min(...xs))} – ${f(Math.max(...xs))}`
console.log('| model | tfjs ms/step wall (CPU) | PyTorch ms/step wall (CPU) | tfjs / PyTorch, wall: median (range) | tfjs / PyTorch, CPU time: median (range) |')
console.log('|---|---|---|---|---|')
for (const r of rows) {
  console.log(
    `| ${r.model} | ${f(median(r.tfjs.wall))} (${f(median(r.tfjs.cpu))}) | ${f(median(r.torch.wall))} (${f(median(r.torch.cpu))}) | ` +
      `**${median(r.wallRatio).toFixed(2)}** (${range(r.wallRatio)}) | ${median(r.cpuRatio).toFixed(2)} (${range(r.cpuRatio)}) |`,
  )
}
console.log(`\nfirst losses: ${rows.map((r) => `${r.model}: tfjs ${r.tfjs.losses.map((l) => l.toFixed(3)).join(' ')}; PyTorch ${r.torch.losses.map((l) => l.toFixed(3)).join(' ')}`).join('\n')}`)
console.log(`load at the end: ${load()}`)
if (args.json) writeFileSync(args.json, JSON.stringify({ date: new Date().toISOString(), torch: info, tfjs: tf.version.tfjs, rounds, blockMs, warmup, rows }, null, 2))
