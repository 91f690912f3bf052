/**
 * What one WebGPU training step costs, tfjs's Adam against the fused Adam kernel
 * (src/backends/webgpu-adam.ts), and the fused Adam with the loss read one step late as the loop
 * does it (src/loop/deferred-loss.ts), then that with core's fused softmax cross-entropy
 * (src/losses.ts, src/backends/webgpu-softmax-ce.ts), then that with each layer's bias and ReLU in
 * the matmul's epilogue (tf.fused.matMul), side by side in one process: the WebGPU calls per step
 * (dispatches, bind groups made, uniform writes, submits; the optimizer's share of the dispatches
 * separately) and ms/step, for the three MLP sizes of the GPU probe. Each step runs as train()
 * runs it: gradients, an awaited loss read (the late arm: the previous step's), then the optimizer step.
 *
 *   CONVERGE_DAWN_FLAGS=backend=null nice -n 10 npx tsx packages/core/bench/webgpu-step.ts
 *       [--sizes small,mid[,large]] [--rounds 7] [--steps 10] [--warmup 40] [--bind-group-cache on|off] [--json out.json]
 *       [--flags WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=30,...]   (adds an arm: the last one with these tfjs flags)
 *
 * Dawn flags come from CONVERGE_DAWN_FLAGS, default backend=null here: Dawn's null adapter accepts
 * every call and runs no shader, so its ms/step is the host-side cost alone (encoding, tfjs
 * bookkeeping, the read-back round trip), the part that dominates small and mid models on a GPU.
 * With backend=vulkan on a GPU the same script measures GPU time as well. The two arms take turns
 * in blocks of --steps steps, the order rotating every round, so machine drift hits both alike;
 * ms/step is the median and the minimum over rounds of each block's mean. Every size gets a fresh
 * device. A size during which the device reported an error (Dawn's null device refuses to hold more
 * than 512 MiB, less than the large MLP's two arms need) is marked invalid: failed commands are skipped,
 * so its timings mean nothing.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { createRng, softmaxCrossEntropy, useBackend } from '../src/index.js'
import { WebgpuAdamOptimizer, countWebgpuCalls, releaseWebgpu, type WebgpuCallCounts } from '../src/backends/index.js'

const { values: args } = parseArgs({
  options: {
    // large needs a GPU: its three arms outgrow the null device's 512 MiB (the run then reports device errors)
    sizes: { type: 'string', default: process.env.CONVERGE_DAWN_FLAGS?.includes('backend=null') === false ? 'small,mid,large' : 'small,mid' },
    rounds: { type: 'string', default: '7' },
    steps: { type: 'string', default: '10' },
    // tfjs's buffer pool settles after a few dozen steps; only then does the bind-group cache hit every time
    warmup: { type: 'string', default: '40' },
    'bind-group-cache': { type: 'string', default: 'on' },
    json: { type: 'string' },
    // tfjs flags for one more arm, the last one's set-up with these set during its blocks: KEY=VALUE,KEY=VALUE
    flags: { type: 'string' },
  },
})

/** The GPU probe's MLPs: batch × input → hidden ReLU → output, softmax cross-entropy, Adam 1e-3. */
const SIZES: Record<string, { batch: number; input: number; hidden: number; output: number }> = {
  small: { batch: 256, input: 128, hidden: 256, output: 10 },
  mid: { batch: 1024, input: 512, hidden: 1024, output: 512 },
  large: { batch: 4096, input: 1024, hidden: 4096, output: 1024 },
}

/**
 * The optimizer, whether the loss is read one step late (the loop's way with the fused Adam,
 * src/loop/deferred-loss.ts), and whether the softmax cross-entropy is core's fused one (src/losses.ts).
 */
const ARMS = {
  'tfjs adam': { make: () => tf.train.adam(1e-3) as tf.Optimizer, late: false, fusedLoss: false, epilogue: false },
  'fused adam': { make: () => new WebgpuAdamOptimizer(1e-3) as tf.Optimizer, late: false, fusedLoss: false, epilogue: false },
  'fused + late read': { make: () => new WebgpuAdamOptimizer(1e-3) as tf.Optimizer, late: true, fusedLoss: false, epilogue: false },
  // and the loss as core's softmaxCrossEntropy computes it on webgpu: one kernel forward, one backward
  'fused + late + CE': { make: () => new WebgpuAdamOptimizer(1e-3) as tf.Optimizer, late: true, fusedLoss: true, epilogue: false },
  // and each layer as tf.fused.matMul: bias and ReLU in the matmul's epilogue instead of two more kernels
  '+ epilogue': { make: () => new WebgpuAdamOptimizer(1e-3) as tf.Optimizer, late: true, fusedLoss: true, epilogue: true },
  '+ flags': { make: () => new WebgpuAdamOptimizer(1e-3) as tf.Optimizer, late: true, fusedLoss: true, epilogue: true },
} as const
type Arm = keyof typeof ARMS

/** --flags as tfjs flag values (numbers and booleans), set around the '+ flags' arm's steps. */
const flagArm: Record<string, number | boolean> = Object.fromEntries(
  (args.flags ?? '')
    .split(',')
    .filter((f) => f.trim())
    .map((f) => {
      const [key, raw] = f.split('=').map((p) => p.trim())
      if (!key || raw === undefined) throw new Error(`--flags: expected KEY=VALUE, got ${f}`)
      const value = raw === 'true' ? true : raw === 'false' ? false : Number(raw)
      if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`--flags: ${key} needs a number or true/false, got ${raw}`)
      return [key, value]
    }),
)
/** Runs `f` with the '+ flags' arm's tfjs flags set, restoring the previous values after. */
async function withFlags<T>(arm: Arm, f: () => Promise<T>): Promise<T> {
  if (arm !== '+ flags') return f()
  const before = Object.fromEntries(Object.keys(flagArm).map((k) => [k, tf.env().get(k)]))
  for (const [k, v] of Object.entries(flagArm)) tf.env().set(k, v)
  try {
    return await f()
  } finally {
    for (const [k, v] of Object.entries(before)) tf.env().set(k, v)
  }
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

process.env.CONVERGE_DAWN_FLAGS ??= 'backend=null'
if (!['on', 'off'].includes(args['bind-group-cache']!)) throw new Error(`--bind-group-cache: expected on or off, got ${args['bind-group-cache']}`)
// useBackend('webgpu') installs the cache unless this is 0 (src/backends/webgpu-bind-groups.ts)
process.env.CONVERGE_WEBGPU_BIND_GROUP_CACHE = args['bind-group-cache'] === 'on' ? '1' : '0'
const info = await useBackend('webgpu')

interface Model {
  /** One step as train() takes it; `counter` is reset at the start, `optimizerDispatches` read around applyGradients. */
  step(): Promise<{ optimizerDispatches: number }>
  dispose(): void
}

function makeModel(size: (typeof SIZES)[string], arm: Arm, counter: { counts: WebgpuCallCounts }): Model {
  const { batch, input, hidden, output } = size
  const rng = createRng(`webgpu-step ${batch}x${input}`)
  const normal = (shape: number[], scale: number) => {
    const init = tf.tensor(Float32Array.from({ length: shape[0]! * (shape[1] ?? 1) }, () => scale * rng.normal()), shape)
    const v = tf.variable(init)
    init.dispose()
    return v
  }
  const w1 = normal([input, hidden], Math.sqrt(2 / input))
  const b1 = tf.variable(tf.zeros([hidden]))
  const w2 = normal([hidden, output], Math.sqrt(1 / hidden))
  const b2 = tf.variable(tf.zeros([output]))
  const vars = [w1, b1, w2, b2]
  const x = tf.tensor(Float32Array.from({ length: batch * input }, () => rng.normal()), [batch, input])
  const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: batch }, () => rng.int(output)), 'int32'), output).toFloat()
  const { make, late, fusedLoss, epilogue } = ARMS[arm]
  const crossEntropy = fusedLoss ? softmaxCrossEntropy : (l: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(l, p) as tf.Scalar
  const opt = make()
  const logits = epilogue
    ? () => tf.fused.matMul({ a: tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' }), b: w2, bias: b2 })
    : () => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)
  const loss = () => crossEntropy(y, logits())
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
      if (late) {
        const reading = value.data()
        await settle()
        ;(opt as WebgpuAdamOptimizer).guardNextStep(value)
        pending = { value, reading }
      } else {
        await value.data()
        value.dispose()
      }
      const before = counter.counts.dispatches
      opt.applyGradients(grads)
      const optimizerDispatches = counter.counts.dispatches - before
      tf.dispose(Object.values(grads))
      return { optimizerDispatches }
    },
    dispose() {
      void settle().then(() => {
        opt.dispose()
        tf.dispose([...vars, x, y])
      })
    },
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

interface Row {
  size: string
  deviceErrors: number
  arm: Arm
  calls: WebgpuCallCounts
  optimizerDispatches: number
  msMedian: number
  msMin: number
  numTensorsFlat: boolean
}

const counter = countWebgpuCalls()
const rows: Row[] = []
console.log(`webgpu on ${info.adapter ? `${info.adapter.description || info.adapter.device || 'adapter'} (${info.adapter.dawnFlags.join(' ')})` : 'unknown adapter'}`)
console.log(`${rounds} rounds × ${stepsPerBlock} steps per arm, ${warmup} warm-up steps, bind-group cache ${args['bind-group-cache']}\n`)
for (const sizeName of sizes) {
  const size = SIZES[sizeName]!
  releaseWebgpu() // a fresh device per size: tfjs's buffer pool keeps every buffer it ever made
  await useBackend('webgpu')
  let deviceErrors = 0
  const device = (tf.backend() as unknown as { device: { addEventListener(type: string, f: (e: { preventDefault(): void }) => void): void } }).device
  device.addEventListener('uncapturederror', (e) => {
    deviceErrors++
    e.preventDefault()
  })
  const arms = (Object.keys(ARMS) as Arm[]).filter((a) => a !== '+ flags' || args.flags)
  const models = Object.fromEntries(arms.map((arm) => [arm, makeModel(size, arm, counter)])) as Record<Arm, Model>
  const blockMs: Record<Arm, number[]> = Object.fromEntries(arms.map((a) => [a, []])) as never
  const calls = {} as Record<Arm, { calls: WebgpuCallCounts; optimizerDispatches: number; numTensorsFlat: boolean }>
  for (const arm of arms) {
    for (let i = 0; i < warmup; i++) await withFlags(arm, () => models[arm].step())
    counter.reset()
    const tensorsBefore = tf.memory().numTensors
    const { optimizerDispatches } = await withFlags(arm, () => models[arm].step())
    calls[arm] = { calls: { ...counter.counts }, optimizerDispatches, numTensorsFlat: tf.memory().numTensors === tensorsBefore }
  }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...arms].reverse() : arms
    for (const arm of order) {
      const ms = await withFlags(arm, async () => {
        const t0 = performance.now()
        for (let i = 0; i < stepsPerBlock; i++) await models[arm].step()
        return (performance.now() - t0) / stepsPerBlock
      })
      blockMs[arm].push(ms)
    }
  }
  for (const arm of arms) {
    rows.push({ size: sizeName, deviceErrors, arm, ...calls[arm], msMedian: median(blockMs[arm]), msMin: Math.min(...blockMs[arm]) })
    models[arm].dispose()
  }
}
counter.stop()

const header = ['size', 'optimizer', 'dispatches/step', '(optimizer)', 'bind groups made', 'uniform writes', 'submits', 'ms/step median', 'ms/step min', 'tensors flat', 'device errors']
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
for (const s of sizes) {
  const row = (arm: Arm) => rows.find((r) => r.size === s && r.arm === arm)!
  const stock = row('tfjs adam')
  if (stock.deviceErrors) {
    console.log(`${s}: not measured validly (the device reported ${stock.deviceErrors} errors)`)
    continue
  }
  const ratios = (['fused adam', 'fused + late read', 'fused + late + CE', ...(args.flags ? (['+ flags'] as const) : [])] as const).map((arm) => `${arm}/tfjs ${(row(arm).msMedian / stock.msMedian).toFixed(2)} (median), ${(row(arm).msMin / stock.msMin).toFixed(2)} (min)`)
  console.log(`${s}: ms/step ${ratios.join('; ')}`)
}
if (args.flags) console.log(`+ flags: fused + late + CE with ${JSON.stringify(flagArm)}`)
if (args.json) writeFileSync(args.json, JSON.stringify({ adapter: info.adapter, flags: flagArm, rounds, stepsPerBlock, warmup, bindGroupCache: args['bind-group-cache'], rows }, null, 2))
