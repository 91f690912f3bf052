/**
 * tf.matMul on WebGPU, tfjs's BatchMatMul kernel against converge's SGEMM (src/backends/webgpu-sgemm.ts,
 * `useBackend('webgpu', { webgpu: { matmul: 'converge' } })`), square n×n×n float32 products in
 * the plain layout (A·B) and the one tfjs's backward pass uses for dA (A·Bᵀ, a scalar path in tfjs).
 * Prints TFLOP/s (2n³ per product) as the median over rounds of a block of --calls products,
 * timed from the first dispatch to the GPU finishing (queue.onSubmittedWorkDone, no read-back),
 * and the largest difference between the two kernels' results, relative to the largest |value|
 * (both sum over k in order, so it can be exactly 0).
 *
 *   CONVERGE_DAWN_FLAGS=backend=vulkan nice -n 10 npx tsx packages/core/bench/webgpu-matmul.ts
 *       [--sizes 1024,4096] [--layouts AB,ABt] [--rounds 5] [--calls 10]
 *
 * Meant for a GPU host. On Dawn's null adapter no shader runs (the numbers are host cost only) and
 * a size whose operands exceed what the null device holds (512 MiB) is skipped; on llvmpipe
 * (backend=opengl) 4096³ takes minutes per product: use --sizes 256,512 there.
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { createRng, useBackend } from '../src/index.js'
import { activeWebgpuBackend, setMatmulKernel, sgemmCounts } from '../src/backends/index.js'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1024,4096' },
    layouts: { type: 'string', default: 'AB,ABt' },
    rounds: { type: 'string', default: '5' },
    calls: { type: 'string', default: '10' },
  },
})
const rounds = Number(args.rounds)
const calls = Number(args.calls)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number
const nullAdapter = (process.env.CONVERGE_DAWN_FLAGS ?? '').includes('backend=null')
/** Dawn's null device refuses allocations past this. */
const NULL_DEVICE_BYTES = 512 * 2 ** 20

const info = await useBackend('webgpu')
console.log(`adapter: ${info.adapter?.description || info.adapter?.device} (${info.adapter?.fallback ? 'software' : 'GPU'}), Dawn flags [${info.adapter?.dawnFlags.join(' ')}]`)
if (nullAdapter) console.log('backend=null runs no shader: the TFLOP/s below are host-side cost only, not GPU throughput')

/** Waits until the GPU has finished everything recorded so far, without reading anything back. */
async function finish(): Promise<void> {
  const b = activeWebgpuBackend()! as unknown as { endComputePassEncoder(): void; submitQueue(): void; queue: { onSubmittedWorkDone(): Promise<void> } }
  b.endComputePassEncoder()
  b.submitQueue()
  await b.queue.onSubmittedWorkDone()
}

const rng = createRng('webgpu matmul bench')
console.log(`\nmedian TFLOP/s over ${rounds} rounds of ${calls} products; arms alternate every round\n`)
console.log('| n | layout | tfjs TFLOP/s | converge TFLOP/s | converge / tfjs | max rel. difference |')
console.log('|---|---|---|---|---|---|')
for (const n of args.sizes.split(',').map(Number)) {
  // a, b, and an output per arm, with tfjs's pool keeping freed outputs
  if (nullAdapter && 5 * n * n * 4 > NULL_DEVICE_BYTES) {
    console.log(`| ${n} | — | skipped: the null device holds 512 MiB | | | |`)
    continue
  }
  const a = tf.tensor2d(Float32Array.from({ length: n * n }, () => rng.normal()), [n, n])
  const b = tf.tensor2d(Float32Array.from({ length: n * n }, () => rng.normal()), [n, n])
  for (const layout of args.layouts.split(',')) {
    const transposeB = layout === 'ABt'
    const product = () => tf.matMul(a, b, false, transposeB)
    const times: Record<'tfjs' | 'converge', number[]> = { tfjs: [], converge: [] }
    for (let r = 0; r < rounds; r++) {
      for (const arm of r % 2 ? (['converge', 'tfjs'] as const) : (['tfjs', 'converge'] as const)) {
        setMatmulKernel(arm)
        tf.dispose(product()) // warm-up: pipeline compiled, pool filled
        await finish()
        const started = performance.now()
        for (let i = 0; i < calls; i++) tf.dispose(product())
        await finish()
        times[arm].push((performance.now() - started) / calls)
      }
    }
    setMatmulKernel('tfjs')
    const reference = product()
    setMatmulKernel('converge')
    sgemmCounts(true)
    const ours = product()
    const ran = sgemmCounts().sgemm === 1
    const stats = tf.tidy(() => [tf.max(tf.abs(tf.sub(ours, reference))), tf.max(tf.abs(reference))])
    const [diff, scale] = (await Promise.all(stats.map(async (t) => (await t.data())[0]!))) as [number, number]
    tf.dispose([reference, ours, ...stats])
    setMatmulKernel('tfjs')
    const tflops = (ms: number) => (2 * n ** 3) / (ms * 1e-3) / 1e12
    const [t, c] = [tflops(median(times.tfjs)), tflops(median(times.converge))]
    console.log(`| ${n} | ${transposeB ? 'A·Bᵀ' : 'A·B'} | ${t.toPrecision(3)} | ${c.toPrecision(3)}${ran ? '' : ' (fell back to tfjs)'} | ${(c / t).toFixed(2)} | ${(diff / scale).toExponential(1)} |`)
  }
  tf.dispose([a, b])
}
