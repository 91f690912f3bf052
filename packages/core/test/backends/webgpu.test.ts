import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { BackendError, SeedStreams, releaseWebgpu, silentLogger, syntheticClassification, train, useBackend } from '../../src/index.js'
import { webgpuRunning } from '../../src/backends/index.js'
import { expectClose, intInput, normalInput, runOn, withGradients, type InputSpec } from './kernel-check.js'
import { findAdapter } from './webgpu-adapter.js'

const found = await findAdapter()
const webgpu = (): Promise<unknown> => useBackend('webgpu', found ? { webgpu: found.options } : {})

/** Reads every output asynchronously (WebGPU in Node has no synchronous reads). */
async function runOnWebgpu(inputs: readonly InputSpec[], f: (...xs: tf.Tensor[]) => tf.Tensor[], poisonSizes: number[]): Promise<Float32Array[]> {
  await webgpu()
  // Fill the buffer pool with NaN buffers of the output sizes: tfjs-webgpu hands a released buffer of
  // the same size to the next tensor that needs one, so an output element left unwritten reads NaN.
  const poison = poisonSizes.flatMap((n) => [tf.fill([n], Number.NaN), tf.fill([n], Number.NaN)])
  await Promise.all(poison.map((t) => t.data()))
  tf.dispose(poison)
  const xs = inputs.map((s) => tf.tensor(s.values, s.shape, s.dtype))
  const outs = tf.tidy(() => f(...xs))
  const values = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())))
  tf.dispose([...xs, ...outs])
  return values
}

async function expectWebgpuMatchesCpu(label: string, inputs: readonly InputSpec[], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  const expected = await runOn('cpu', inputs, f)
  const actual = await runOnWebgpu(inputs, f, expected.map((e) => e.length))
  expected.forEach((e, i) => expectClose(actual[i] as Float32Array, e, `${label}, output ${i}`))
}

describe.skipIf(!found)(`webgpu (${found ? JSON.stringify(found.options) : 'no adapter here'})`, () => {
  it('starts, and records the adapter; a software adapter is reported as a fallback', async () => {
    const info = (await webgpu()) as { name: string; adapter: { device: string; description: string; fallback: boolean; dawnFlags: string[] } }
    expect(info.name).toBe('webgpu')
    expect(tf.getBackend()).toBe('webgpu')
    expect(webgpuRunning()).toBe(true)
    expect(info.adapter.dawnFlags).toEqual(found!.options.dawnFlags ?? process.env.CONVERGE_DAWN_FLAGS!.trim().split(/\s+/))
    if (/llvmpipe|lavapipe|swiftshader/i.test(`${info.adapter.device} ${info.adapter.description}`)) expect(info.adapter.fallback).toBe(true)
  })

  it('matmul with transpose flags: values and gradients match CPU', async () => {
    const a = normalInput('webgpu matmul a', [3, 7, 5])
    const b = normalInput('webgpu matmul b', [3, 4, 7])
    await expectWebgpuMatchesCpu('matmul', [a, b], withGradients('webgpu matmul', (x, y) => tf.matMul(x as tf.Tensor, y as tf.Tensor, true, true)))
  })

  it('conv2d filter gradient, gather gradient and maxPool gradient on all-negative windows match CPU', async () => {
    const x = normalInput('webgpu conv x', [2, 6, 6, 3])
    const w = normalInput('webgpu conv w', [3, 3, 3, 4], 0.5)
    await expectWebgpuMatchesCpu('conv2d', [x, w], withGradients('webgpu conv', (v, k) => tf.conv2d(v as tf.Tensor4D, k as tf.Tensor4D, 2, 'same')))
    const g = normalInput('webgpu gather', [10, 6])
    const idx = intInput('webgpu gather idx', [9], 10)
    await expectWebgpuMatchesCpu('gather', [g, idx], withGradients('webgpu gather', (v, i) => tf.gather(v as tf.Tensor, i as tf.Tensor1D)))
    const neg = normalInput('webgpu negative windows', [1, 4, 4, 2], 1, -10)
    await expectWebgpuMatchesCpu('maxPool negative', [neg], (v) => [tf.grad((u: tf.Tensor) => tf.sum(tf.maxPool(u as tf.Tensor4D, 2, 2, 'valid')))(v)])
  })

  it('training the core task with asynchronous reads: the first losses match CPU, tensor count flat', async () => {
    const task = syntheticClassification({ features: 8, hidden: 16, trainSize: 256, evalSize: 64, batchSize: 16 })
    const losses = async (backend: 'cpu' | 'webgpu'): Promise<{ losses: number[]; counts: number[] }> => {
      if (backend === 'cpu') await useBackend('cpu')
      else await webgpu()
      const streams = new SeedStreams(3)
      const inst = await task.create({ seed: 3, streams, log: silentLogger, variableName: (n) => `${backend}/${n}` })
      const opt = tf.train.adam(task.optimizer.learningRate)
      const out: number[] = []
      const counts: number[] = []
      for (let step = 0; step < 4; step++) {
        const batch = await inst.batch({ step, sources: ['train'], rng: streams.stream('data'), stream: 'main' })
        const loss = opt.minimize(() => inst.loss(inst.forward(batch, null as never), batch, null as never).ce as tf.Scalar, true, inst.variables as tf.Variable[])!
        out.push((await loss.data())[0] as number)
        tf.dispose([loss, ...Object.values(batch).filter((v): v is tf.Tensor => v instanceof tf.Tensor)])
        counts.push(tf.memory().numTensors)
      }
      opt.dispose()
      inst.dispose()
      return { losses: out, counts }
    }
    const cpu = await losses('cpu')
    const gpu = await losses('webgpu')
    expectClose(gpu.losses, cpu.losses, 'losses')
    expect(new Set(gpu.counts.slice(1)).size).toBe(1)
  })

  it('a synchronous read is a BackendError that says to read asynchronously', async () => {
    await webgpu()
    const t = tf.square(tf.tensor1d([1, 2, 3]))
    expect(() => t.dataSync()).toThrow(BackendError)
    expect(() => t.dataSync()).toThrow(/synchronous reads \(dataSync, arraySync, bufferSync\) are not possible in Node.*await tensor\.data\(\)/)
    expect(Array.from(await t.data())).toEqual([1, 4, 9])
    t.dispose()
  })

  it('train() runs on webgpu (it reads back asynchronously) and its losses match the CPU backend', async () => {
    process.env.CONVERGE_DAWN_FLAGS ??= found!.env.CONVERGE_DAWN_FLAGS
    const task = syntheticClassification({ features: 4, hidden: 4, trainSize: 32, evalSize: 16, batchSize: 8 })
    const onGpu = await train({ task: task as never, maxSteps: 5, evalEvery: 5, backend: 'webgpu', seed: 3 })
    expect(onGpu.backend).toMatchObject({ name: 'webgpu', adapter: { fallback: true } })
    const onCpu = await train({ task: task as never, maxSteps: 5, evalEvery: 5, backend: 'cpu', seed: 3 })
    onGpu.losses.forEach((l, i) => expect(l).toBeCloseTo(onCpu.losses[i]!, 5))
  })

  it('other Dawn settings while running need releaseWebgpu(); after it WebGPU starts again', async () => {
    await webgpu()
    await expect(useBackend('webgpu', { webgpu: { dawnFlags: ['backend=d3d12'] } })).rejects.toThrow(/already running .* call releaseWebgpu\(\) first/)
    releaseWebgpu()
    expect(webgpuRunning()).toBe(false)
    expect((globalThis as { navigator?: unknown }).navigator).toBeUndefined()
    releaseWebgpu() // harmless twice
    await webgpu()
    expect(Array.from(await tf.add(tf.scalar(1), tf.scalar(2)).data())).toEqual([3])
    releaseWebgpu()
  })

  const fixture = fileURLToPath(new URL('./fixtures/webgpu-exit.ts', import.meta.url))
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
  /** Runs the fixture in its own process; resolves to how it ended (killed after 30 s if it does not exit). */
  const runFixture = (args: string[]) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--import', tsx, fixture, ...args], { env: { ...process.env, ...found!.env }, timeout: 30_000 })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('close', (code, signal) => done({ code, signal, stdout, stderr }))
    })

  it('a script that used WebGPU exits by itself, with or without releaseWebgpu()', async () => {
    const runs = await Promise.all([runFixture([]), runFixture(['--release'])])
    for (const run of runs) {
      expect(run.signal, 'killed after 30 s: the process did not exit').toBeNull()
      expect(run.code, run.stderr).toBe(0)
      const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as { loss: number }
      expect(report.loss).toBe(14 + 32 + 32 + 77) // sum of x xᵀ for x = [[1, 2, 3], [4, 5, 6]]
    }
  })
})
