/**
 * What one WebGPU training step costs with FRUGAL, through tfjs's ops against the fused WGSL
 * kernels (src/webgpu-kernels.ts), and fused with the loss read one step late as train() does it,
 * with core's fused Adam as the reference, side by side in one process: WebGPU calls per step
 * (dispatches, the optimizer's share separately, bind groups made, uniform writes, submits) and
 * ms/step, for the small and mid MLPs of core's webgpu-step bench (packages/core/bench/webgpu-step.ts).
 *
 *   CONVERGE_DAWN_FLAGS=backend=null nice -n 10 npx tsx packages/tricks/frugal/bench/webgpu-step.ts
 *       [--sizes small,mid] [--subspaces columns,random] [--rounds 7] [--steps 10] [--warmup 40] [--json out.json]
 *
 * Dawn flags come from CONVERGE_DAWN_FLAGS, default backend=null: Dawn's null adapter runs every
 * WebGPU call but no shader, so ms/step is the host-side cost alone. Every arm uses core's softmax
 * cross-entropy kernels, so arms differ only in the optimizer step and the loss read. FRUGAL runs
 * with density 0.25, signSGD on the rest and its default updateGap (200): the measured steps are
 * between refreshes ('svd' cannot refresh on webgpu in Node: it reads the gradient synchronously).
 * Arms take turns in blocks of --steps steps, the order reversing every round; ms/step is the
 * median and the minimum over rounds of each block's mean.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { createRng, softmaxCrossEntropy, useBackend } from '@converge/core'
import { WebgpuAdamOptimizer, countWebgpuCalls, isLossGuarded, releaseWebgpu, type WebgpuCallCounts } from '@converge/core/backends'
import { FrugalOptimizer, SUBSPACES, type Subspace } from '../src/index.js'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: 'small,mid' },
    subspaces: { type: 'string', default: 'columns,random' },
    rounds: { type: 'string', default: '7' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '40' },
    json: { type: 'string' },
  },
})

const SIZES: Record<string, { batch: number; input: number; hidden: number; output: number }> = {
  small: { batch: 256, input: 128, hidden: 256, output: 10 },
  mid: { batch: 1024, input: 512, hidden: 1024, output: 512 },
}

const positive = (name: string, raw: string): number => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${raw}`)
  return n
}
const rounds = positive('rounds', args.rounds!)
const stepsPerBlock = positive('steps', args.steps!)
const warmup = positive('warmup', args.warmup!)
const sizes = args.sizes!.split(',').map((s) => s.trim())
for (const s of sizes) if (!SIZES[s]) throw new Error(`--sizes: unknown size "${s}" (known: ${Object.keys(SIZES).join(', ')})`)
const subspaces = args.subspaces!.split(',').map((s) => s.trim()) as Subspace[]
for (const s of subspaces) {
  if (!SUBSPACES.includes(s)) throw new Error(`--subspaces: unknown subspace "${s}" (known: ${SUBSPACES.join(', ')})`)
  if (s === 'svd') throw new Error("--subspaces: 'svd' cannot refresh on webgpu in Node (a synchronous gradient read); 'random' takes the same fused path")
}

interface ArmSpec {
  readonly make: () => tf.Optimizer
  /** Loss read one step late, the step guarded by it (the loop's way with a LossGuardedOptimizer). */
  readonly late: boolean
}
const frugalArm = (subspace: Subspace, fused: boolean) => (): tf.Optimizer => {
  const opt = new FrugalOptimizer({ learningRate: 1e-3, subspace, density: 0.25, stateFree: 'signsgd' })
  opt.fusedKernels = fused
  return opt
}
const ARMS: Record<string, ArmSpec> = {
  'fused adam + late': { make: () => new WebgpuAdamOptimizer(1e-3), late: true },
  ...Object.fromEntries(
    subspaces.flatMap((s) => [
      [`frugal ${s}, tfjs ops`, { make: frugalArm(s, false), late: false }],
      [`frugal ${s}, fused`, { make: frugalArm(s, true), late: false }],
      [`frugal ${s}, fused + late`, { make: frugalArm(s, true), late: true }],
    ]),
  ),
}
const arms = Object.keys(ARMS)

process.env.CONVERGE_DAWN_FLAGS ??= 'backend=null'
const info = await useBackend('webgpu')

interface Model {
  step(): Promise<{ optimizerDispatches: number }>
  dispose(): Promise<void>
}

function makeModel(size: (typeof SIZES)[string], arm: string, counter: { counts: WebgpuCallCounts }): Model {
  const { batch, input, hidden, output } = size
  const rng = createRng(`frugal webgpu-step ${batch}x${input}`)
  const variable = (shape: number[], scale: number, name: string) => {
    const init = tf.tensor(Float32Array.from({ length: shape[0]! * (shape[1] ?? 1) }, () => scale * rng.normal()), shape)
    const v = tf.variable(init, true, `${arm}/${name}`)
    init.dispose()
    return v
  }
  const w1 = variable([input, hidden], Math.sqrt(2 / input), 'dense1/kernel')
  const b1 = variable([hidden], 0, 'dense1/bias')
  const w2 = variable([hidden, output], Math.sqrt(1 / hidden), 'dense2/kernel')
  const b2 = variable([output], 0, 'dense2/bias')
  const vars = [w1, b1, w2, b2]
  const x = tf.tensor(Float32Array.from({ length: batch * input }, () => rng.normal()), [batch, input])
  const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: batch }, () => rng.int(output)), 'int32'), output).toFloat()
  const { make, late } = ARMS[arm]!
  const opt = make()
  const loss = () => softmaxCrossEntropy(y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2))
  let pending: { value: tf.Tensor; reading: Promise<unknown> } | null = null
  const settle = async () => {
    if (!pending) return
    await pending.reading
    pending.value.dispose()
    pending = null
  }
  return {
    async step() {
      const { value, grads } = opt.computeGradients(loss, vars)
      if (late && isLossGuarded(opt) && opt.canGuardStep(grads)) {
        const reading = value.data()
        await settle()
        opt.guardNextStep(value)
        pending = { value, reading }
      } else {
        await settle()
        await value.data()
        value.dispose()
      }
      const before = counter.counts.dispatches
      opt.applyGradients(grads)
      const optimizerDispatches = counter.counts.dispatches - before
      tf.dispose(Object.values(grads))
      return { optimizerDispatches }
    },
    async dispose() {
      await settle() // a read still in flight would be aborted when the device is released
      opt.dispose()
      tf.dispose([...vars, x, y])
    },
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

interface Row {
  size: string
  arm: string
  calls: WebgpuCallCounts
  optimizerDispatches: number
  msMedian: number
  msMin: number
  numTensorsFlat: boolean
  deviceErrors: number
}

const counter = countWebgpuCalls()
const rows: Row[] = []
console.log(`webgpu on ${info.adapter ? `${info.adapter.description || info.adapter.device || 'adapter'} (${info.adapter.dawnFlags.join(' ')})` : 'unknown adapter'}`)
console.log(`${rounds} rounds × ${stepsPerBlock} steps per arm, ${warmup} warm-up steps\n`)
for (const sizeName of sizes) {
  releaseWebgpu() // a fresh device per size
  await useBackend('webgpu')
  let deviceErrors = 0
  const device = (tf.backend() as unknown as { device: { addEventListener(type: string, f: (e: { preventDefault(): void }) => void): void } }).device
  device.addEventListener('uncapturederror', (e) => {
    deviceErrors++
    e.preventDefault()
  })
  const models = Object.fromEntries(arms.map((arm) => [arm, makeModel(SIZES[sizeName]!, arm, counter)]))
  const blockMs: Record<string, number[]> = Object.fromEntries(arms.map((a) => [a, []]))
  const calls: Record<string, { calls: WebgpuCallCounts; optimizerDispatches: number; numTensorsFlat: boolean }> = {}
  for (const arm of arms) {
    for (let i = 0; i < warmup; i++) await models[arm]!.step()
    counter.reset()
    const tensorsBefore = tf.memory().numTensors
    const { optimizerDispatches } = await models[arm]!.step()
    calls[arm] = { calls: { ...counter.counts }, optimizerDispatches, numTensorsFlat: tf.memory().numTensors === tensorsBefore }
  }
  for (let r = 0; r < rounds; r++) {
    for (const arm of r % 2 ? [...arms].reverse() : arms) {
      const t0 = performance.now()
      for (let i = 0; i < stepsPerBlock; i++) await models[arm]!.step()
      blockMs[arm]!.push((performance.now() - t0) / stepsPerBlock)
    }
  }
  for (const arm of arms) {
    rows.push({ size: sizeName, arm, ...calls[arm]!, msMedian: median(blockMs[arm]!), msMin: Math.min(...blockMs[arm]!), deviceErrors })
    await models[arm]!.dispose()
  }
}
counter.stop()

const header = ['size', 'arm', 'dispatches/step', '(optimizer)', 'bind groups made', 'uniform writes', 'submits', 'ms/step median', 'ms/step min', 'tensors flat', 'device errors']
const table = rows.map((r) => [
  `${r.size} ${Object.values(SIZES[r.size]!).join('x')}`,
  r.arm,
  String(r.calls.dispatches),
  String(r.optimizerDispatches),
  String(r.calls.bindGroups),
  String(r.calls.writeBuffers),
  String(r.calls.submits),
  r.msMedian.toFixed(2),
  r.msMin.toFixed(2),
  r.numTensorsFlat ? 'yes' : 'NO',
  r.deviceErrors ? `${r.deviceErrors}: INVALID` : '0',
])
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)))
for (const row of [header, ...table]) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '))
for (const size of sizes) {
  for (const s of subspaces) {
    const row = (arm: string) => rows.find((r) => r.size === size && r.arm === arm)!
    const ops = row(`frugal ${s}, tfjs ops`)
    const ratio = (arm: string) => `${(row(arm).msMedian / ops.msMedian).toFixed(2)} (median), ${(row(arm).msMin / ops.msMin).toFixed(2)} (min)`
    console.log(`${size}, ${s}: ms/step fused/tfjs ops ${ratio(`frugal ${s}, fused`)}; fused + late/tfjs ops ${ratio(`frugal ${s}, fused + late`)}`)
  }
}
if (args.json) writeFileSync(args.json, JSON.stringify({ adapter: info.adapter, rounds, stepsPerBlock, warmup, rows }, null, 2))
