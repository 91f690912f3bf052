/**
 * The CNN bench model's step on tuned WASM with the JS conv2d gradients and MaxPoolGrad
 * (wasm-conv-gradients.ts, wasm-max-pool-grad.ts) against what the kernel fixes did before them:
 * Conv2DBackpropFilter and MaxPoolGrad on tfjs's CPU kernels (through the CPU fallback) and
 * Conv2DBackpropInput on tfjs's WASM kernel. The two arms take turns in one process, a block of
 * steps each per round, on one model (the same weights keep training); the ratio is per round.
 *
 *   npx tsx packages/core/bench/wasm-conv.ts [--rounds 5] [--block-ms 1500]
 */
import { parseArgs } from 'node:util'
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'
import { runOnCpu } from '../src/backends/index.js'
import { cnn } from './backend-models.js'

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'block-ms': { type: 'string', default: '1500' } } })
const rounds = Number(args.rounds)
const blockMs = Number(args['block-ms'])

// tfjs's own input gradient, read while the fixes are off
await useBackend('wasm', { tunedWasm: false })
const stockInputGrad = tf.getKernel('Conv2DBackpropInput', 'wasm')!.kernelFunc
await useBackend('wasm')
const installed = Object.fromEntries(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad'].map((n) => [n, tf.getKernel(n, 'wasm')!]))
/** The kernels before the JS ones: the CPU fallback, and tfjs's WASM input gradient. */
const before: Record<string, tf.KernelFunc> = {
  Conv2DBackpropFilter: runOnCpu('Conv2DBackpropFilter'),
  Conv2DBackpropInput: stockInputGrad,
  MaxPoolGrad: runOnCpu('MaxPoolGrad'),
}
function use(arm: 'before' | 'after'): void {
  for (const [name, config] of Object.entries(installed)) {
    tf.unregisterKernel(name, 'wasm')
    tf.registerKernel({ ...config, kernelFunc: arm === 'after' ? config.kernelFunc : before[name]! })
  }
}

const model = await cnn.create(1, 'cnn')
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const times = { before: [] as number[], after: [] as number[] }
const cpuTimes = { before: [] as number[], after: [] as number[] }
console.log(`# ${cnn.description}`)
console.log(`${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${rounds} rounds of ~${blockMs} ms blocks per arm`)
for (const arm of ['before', 'after'] as const) {
  use(arm)
  for (let i = 0; i < 2; i++) await model.step() // warm-up
}
for (let r = 0; r < rounds; r++) {
  for (const arm of r % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
    use(arm)
    const t0 = performance.now()
    const c0 = cpuMs()
    let n = 0
    while (performance.now() - t0 < blockMs || n < 2) {
      await model.step()
      n++
    }
    times[arm].push((performance.now() - t0) / n)
    cpuTimes[arm].push((cpuMs() - c0) / n)
  }
}
use('after')
model.dispose()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const ratios = times.before.map((b, i) => b / times.after[i]!)
console.log('| arm | ms/step wall (median; range) | ms/step CPU (median) |')
console.log('|---|---|---|')
for (const arm of ['before', 'after'] as const) {
  console.log(`| ${arm === 'before' ? 'CPU fallback + stock WASM input gradient' : 'JS kernels over the WASM heap'} | ${median(times[arm]).toFixed(1)} (${Math.min(...times[arm]).toFixed(1)} – ${Math.max(...times[arm]).toFixed(1)}) | ${median(cpuTimes[arm]).toFixed(1)} |`)
}
console.log(`before / after, median per round: ${median(ratios).toFixed(1)}x (${ratios.map((r) => r.toFixed(1)).join(', ')}); load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`)
