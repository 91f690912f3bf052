/**
 * Step time per backend, measured side by side in one process: every backend gets its own copy
 * of each model (same seeded weights and data), and the backends take turns in short blocks of
 * steps, in an order that rotates every round, so machine drift hits all of them alike. Reports
 * the median ms/step over rounds, the median per-round ratio to a reference backend, the first
 * step (WebGPU compiles its shaders there) and how far each backend's first losses are from CPU's.
 *
 *   pnpm --filter @converge/core bench:backends [--backends cpu,wasm,webgpu] [--models classification,mlp,transformer,cnn]
 *       [--rounds 9] [--block-ms 400] [--warmup 5] [--seed 1] [--json out.json]
 *
 * Backends: cpu, wasm (= wasm-stock and wasm-tuned), wasm-stock, wasm-tuned, webgpu, tensorflow;
 * default cpu,wasm and, where an adapter exists, webgpu. WebGPU takes Dawn's settings from
 * CONVERGE_DAWN_FLAGS (default backend=vulkan; backend=opengl for Mesa llvmpipe without a GPU).
 * A backend named in --backends that cannot start is reported and left out, and the script exits
 * with status 2 after measuring the others. Needs no network.
 */
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { useBackend, type BackendInfo, type BackendName } from '../src/index.js'
import { MODELS, type BenchModel } from './backend-models.js'

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string' },
    models: { type: 'string', default: 'classification,mlp,transformer' },
    rounds: { type: 'string', default: '9' },
    'block-ms': { type: 'string', default: '400' },
    warmup: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
})

interface Config {
  readonly label: string
  readonly backend: BackendName
  readonly tunedWasm: boolean
}

const CONFIGS: Record<string, Config[]> = {
  cpu: [{ label: 'cpu', backend: 'cpu', tunedWasm: true }],
  'wasm-stock': [{ label: 'wasm (stock)', backend: 'wasm', tunedWasm: false }],
  'wasm-tuned': [{ label: 'wasm (tuned)', backend: 'wasm', tunedWasm: true }],
  webgpu: [{ label: 'webgpu', backend: 'webgpu', tunedWasm: true }],
  tensorflow: [{ label: 'tensorflow', backend: 'tensorflow', tunedWasm: true }],
}
CONFIGS.wasm = [...CONFIGS['wasm-stock']!, ...CONFIGS['wasm-tuned']!]

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

// Without --backends, WebGPU is measured only where an adapter exists; named in --backends, it must start.
const DEFAULT_BACKENDS = 'cpu,wasm,webgpu'
const optional = new Set(args.backends === undefined ? ['webgpu'] : [])
const requested = [...new Set((args.backends ?? DEFAULT_BACKENDS).split(',').map((s) => s.trim()).filter(Boolean))]
const unknownBackends = requested.filter((b) => !CONFIGS[b])
if (unknownBackends.length) fail(`unknown backend(s) ${unknownBackends.join(', ')}; allowed: ${Object.keys(CONFIGS).join(', ')}`)
const modelNames = args.models.split(',').map((s) => s.trim()).filter(Boolean)
const unknownModels = modelNames.filter((m) => !MODELS[m])
if (unknownModels.length) fail(`unknown model(s) ${unknownModels.join(', ')}; allowed: ${Object.keys(MODELS).join(', ')}`)
const rounds = Number(args.rounds)
const blockMs = Number(args['block-ms'])
const warmup = Number(args.warmup)
const seed = Number(args.seed)
if (![rounds, blockMs, warmup, seed].every((n) => Number.isInteger(n) && n >= 1)) fail('--rounds, --block-ms, --warmup and --seed must be positive integers')

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}
const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '-')

// Start every backend once, up front: what cannot start is reported, not silently replaced.
const configs: Config[] = []
const infos = new Map<string, BackendInfo>()
const failures: string[] = []
const skipped: string[] = []
for (const name of requested) {
  for (const config of CONFIGS[name]!) {
    if (configs.includes(config)) continue
    try {
      infos.set(config.label, await useBackend(config.backend, { tunedWasm: config.tunedWasm }))
      configs.push(config)
    } catch (e) {
      ;(optional.has(name) ? skipped : failures).push(`${config.label}: ${(e as Error).message}`)
    }
  }
}
if (configs.length === 0) fail(`no backend could start:\n${failures.join('\n')}`)
const reference = configs.find((c) => c.label === 'wasm (tuned)') ?? configs[0]!

const describeBackend = (c: Config): string => {
  const info = infos.get(c.label)!
  if (!info.adapter) return c.label
  const a = info.adapter
  const name = [a.vendor, a.device, a.description].filter(Boolean).join(' / ')
  return `${c.label}: ${name} [${a.dawnFlags.join(' ')}, ${a.featureLevel}]${a.fallback ? ' — software fallback adapter (a CPU, not a GPU)' : ''}`
}

console.log(`# backend step time, side by side (${new Date().toISOString()})`)
console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, tfjs ${tf.version.tfjs}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
console.log(`backends: ${configs.map(describeBackend).join('; ')}`)
for (const f of failures) console.log(`could not start ${f}`)
for (const f of skipped) console.log(`not measured (not asked for by name, and it cannot start here): ${f}`)
console.log(`rounds ${rounds}, blocks of ~${blockMs} ms per backend, ${warmup} warm-up steps, seed ${seed}; ratios are per round, against ${reference.label}\n`)

interface Result {
  readonly label: string
  readonly firstStepMs: number
  readonly blockSteps: number
  readonly msPerStep: number[]
  readonly firstLosses: number[]
}
const report: Record<string, Result[]> = {}

for (const modelName of modelNames) {
  const spec = MODELS[modelName]!
  const runs: { config: Config; model: BenchModel; result: Result }[] = []
  const cannotTrain: string[] = []
  for (const config of configs) {
    await useBackend(config.backend, { tunedWasm: config.tunedWasm })
    const model = await spec.create(seed, `${modelName}-${config.label}`)
    const firstLosses: number[] = []
    let firstStepMs = 0
    let warmStart = 0
    try {
      for (let i = 0; i < warmup; i++) {
        const started = performance.now()
        firstLosses.push(await model.step())
        if (i === 0) {
          firstStepMs = performance.now() - started
          warmStart = performance.now()
        }
      }
    } catch (e) {
      // e.g. stock WASM on the CNN: it has no Conv2DBackpropFilter kernel
      cannotTrain.push(`${config.label}: ${(e as Error).message.split('\n')[0]}`)
      model.dispose()
      continue
    }
    const warmMs = warmup > 1 ? (performance.now() - warmStart) / (warmup - 1) : firstStepMs
    const blockSteps = Math.max(1, Math.round(blockMs / Math.max(warmMs, 1e-3)))
    runs.push({ config, model, result: { label: config.label, firstStepMs, blockSteps, msPerStep: [], firstLosses } })
  }
  for (let r = 0; r < rounds; r++) {
    const order = runs.map((_, i) => runs[(i + r) % runs.length]!)
    for (const run of order) {
      await useBackend(run.config.backend, { tunedWasm: run.config.tunedWasm })
      const started = performance.now()
      for (let i = 0; i < run.result.blockSteps; i++) await run.model.step()
      run.result.msPerStep.push((performance.now() - started) / run.result.blockSteps)
    }
  }
  for (const run of runs) {
    await useBackend(run.config.backend, { tunedWasm: run.config.tunedWasm })
    run.model.dispose()
  }

  const results = runs.map((run) => run.result)
  report[modelName] = results
  const ref = results.find((x) => x.label === reference.label)
  const cpu = results.find((x) => x.label === 'cpu')
  console.log(`## ${spec.description}\n`)
  for (const c of cannotTrain) console.log(`cannot train this model on ${c}\n`)
  if (!ref) {
    console.log(`(${reference.label} could not train it: no ratios)\n`)
    continue
  }
  console.log(`| backend | median ms/step | range over rounds | ratio to ${reference.label} (median per round) | first step ms | steps per block | first ${warmup} losses: max abs diff to cpu |`)
  console.log('|---|---|---|---|---|---|---|')
  for (const x of results) {
    const ratios = x.msPerStep.map((ms, i) => ms / (ref.msPerStep[i] as number))
    const lossDiff = cpu ? Math.max(...x.firstLosses.map((l, i) => Math.abs(l - (cpu.firstLosses[i] as number)))) : Number.NaN
    console.log(
      `| ${x.label} | ${fmt(median(x.msPerStep), 2)} | ${fmt(Math.min(...x.msPerStep), 2)} – ${fmt(Math.max(...x.msPerStep), 2)} | ` +
        `${fmt(median(ratios), 2)} | ${fmt(x.firstStepMs, 0)} | ${x.blockSteps} | ${cpu ? lossDiff.toExponential(1) : '-'} |`,
    )
  }
  console.log(`\nfirst losses: ${results.map((x) => `${x.label} ${x.firstLosses.map((l) => l.toFixed(6)).join(' ')}`).join('; ')}\n`)
}
console.log(`load at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)

if (args.json) {
  const backends = Object.fromEntries([...infos].map(([label, info]) => [label, info]))
  writeFileSync(
    args.json,
    JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, rounds, blockMs, warmup, seed, backends, failures, skipped, report }, null, 2),
  )
}
process.exitCode = failures.length ? 2 : 0
