import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { createRng, softmaxCrossEntropy, useBackend } from '../../src/index.js'
import { countWebgpuCalls, resolveDawnSettings, webgpuSoftmaxCrossEntropy } from '../../src/backends/index.js'
import { expectClose } from './kernel-check.js'
import { findAdapter } from './webgpu-adapter.js'

const found = await findAdapter()
/** Dawn's null backend accepts every call but runs no shader: nothing to compare there. */
const runsShaders = found !== null && !resolveDawnSettings(found.options).flags.includes('backend=null')
const skipReason = !found ? 'no WebGPU adapter can be created here' : 'the adapter is Dawn backend=null, which runs no shaders'
const webgpu = (): Promise<unknown> => useBackend('webgpu', { webgpu: found!.options })

interface Case {
  readonly name: string
  readonly shape: number[]
  /** Scale of the logits: large values test the max shift. */
  readonly scale: number
  /** One-hot labels, else soft ones (rows of a softmax). */
  readonly oneHot: boolean
}
const CASES: Case[] = [
  { name: 'small MLP head 256×10', shape: [256, 10], scale: 3, oneHot: true },
  { name: 'odd 7×5', shape: [7, 5], scale: 1, oneHot: true },
  { name: '1×1', shape: [1, 1], scale: 1, oneHot: true },
  { name: 'more rows than the forward workgroup, 301×3', shape: [301, 3], scale: 2, oneHot: true },
  { name: 'more classes than the gradient workgroup, rank 3, 3×5×131', shape: [3, 5, 131], scale: 4, oneHot: true },
  { name: 'large logits, 9×17', shape: [9, 17], scale: 80, oneHot: true },
  { name: 'soft labels, 6×11', shape: [6, 11], scale: 2, oneHot: false },
]

function inputs(c: Case): { labels: Float32Array; logits: Float32Array } {
  const rng = createRng(`softmax ce ${c.name}`)
  const cols = c.shape[c.shape.length - 1]!
  const n = c.shape.reduce((a, b) => a * b, 1)
  const logits = Float32Array.from({ length: n }, () => c.scale * rng.normal())
  const labels = new Float32Array(n)
  for (let r = 0; r < n / cols; r++) {
    if (c.oneHot) labels[r * cols + rng.int(cols)] = 1
    else {
      const e = Array.from({ length: cols }, () => Math.exp(rng.normal()))
      const s = e.reduce((a, b) => a + b, 0)
      e.forEach((x, j) => (labels[r * cols + j] = x / s))
    }
  }
  return { labels, logits }
}

/** Loss, ∂/∂logits and ∂/∂labels, with `loss` on the active backend. */
async function lossAndGrads(c: Case, loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar): Promise<Float32Array[]> {
  const { labels, logits } = inputs(c)
  const l = tf.tensor(labels, c.shape)
  const x = tf.tensor(logits, c.shape)
  // dy = 1.5 so that the upstream gradient's scale is checked, not just assumed to be 1
  const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => tf.mul(loss(a, b), 1.5) as tf.Scalar)([l, x])
  const out = await Promise.all([value, grads[1]!, grads[0]!].map(async (t) => Float32Array.from(await t.data())))
  tf.dispose([l, x, value, ...grads])
  return out
}

describe.skipIf(!runsShaders)(`softmax cross-entropy kernels on webgpu (${runsShaders ? JSON.stringify(found!.options) : skipReason})`, () => {
  for (const c of CASES) {
    it(`equals tfjs's softmaxCrossEntropy on the CPU backend: loss and both gradients, ${c.name}`, async () => {
      await useBackend('cpu')
      const [cpuLoss, cpuDLogits, cpuDLabels] = await lossAndGrads(c, (a, b) => tf.losses.softmaxCrossEntropy(a, b) as tf.Scalar)
      await webgpu()
      const before = tf.memory().numTensors
      const [loss, dLogits, dLabels] = await lossAndGrads(c, webgpuSoftmaxCrossEntropy)
      expect(tf.memory().numTensors).toBe(before)
      expect(loss!.length).toBe(1)
      expectClose(loss!, cpuLoss!, 'loss')
      expectClose(dLogits!, cpuDLogits!, 'gradient for the logits')
      expectClose(dLabels!, cpuDLabels!, 'gradient for the labels')
    })
  }

  it('reads labels made by tf.oneHot(...).toFloat(), which tfjs-webgpu keeps in an int32 buffer', async () => {
    const classes = [1, 0, 2, 2, 1]
    const logits = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i) * 3)
    const run = async (loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar) => {
      const l = tf.tidy(() => tf.oneHot(tf.tensor1d(classes, 'int32'), 3).toFloat())
      const x = tf.tensor(logits, [5, 3])
      const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor) => loss(a, b))([l, x])
      const out = [Float32Array.from(await value.data()), Float32Array.from(await grads[1]!.data())]
      tf.dispose([l, x, value, ...grads])
      return out
    }
    await useBackend('cpu')
    const [cpuLoss, cpuGrad] = await run((a, b) => tf.losses.softmaxCrossEntropy(a, b) as tf.Scalar)
    await webgpu()
    const [loss, grad] = await run(webgpuSoftmaxCrossEntropy)
    expectClose(loss!, cpuLoss!, 'loss')
    expectClose(grad!, cpuGrad!, 'gradient for the logits')
  })

  it('one dispatch forward and one for the gradient, against tfjs’s many', async () => {
    await webgpu()
    const c = CASES[0]!
    const { labels, logits } = inputs(c)
    const l = tf.tensor(labels, c.shape)
    const x = tf.variable(tf.tensor(logits, c.shape))
    const counter = countWebgpuCalls()
    try {
      const count = async (loss: (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar): Promise<{ forward: number; step: number }> => {
        counter.reset()
        const f = loss(l, x)
        const forward = counter.counts.dispatches
        await f.data()
        f.dispose()
        counter.reset()
        const { value, grads } = tf.variableGrads(() => loss(l, x), [x])
        const step = counter.counts.dispatches
        await grads[x.name]!.data()
        tf.dispose([value, grads[x.name]!])
        return { forward, step }
      }
      expect(await count(webgpuSoftmaxCrossEntropy)).toEqual({ forward: 1, step: 2 })
      const tfjs = await count((a, b) => tf.losses.softmaxCrossEntropy(a, b) as tf.Scalar)
      expect(tfjs.forward).toBeGreaterThan(5)
      expect(tfjs.step).toBeGreaterThan(tfjs.forward)
    } finally {
      counter.stop()
      tf.dispose([l, x])
    }
  })

  it('softmaxCrossEntropy uses the kernels on webgpu for float32 tensors, tfjs’s op otherwise', async () => {
    await webgpu()
    const l = tf.tensor([[0, 1, 0]])
    const x = tf.tensor([[0.5, -1, 2]])
    const counter = countWebgpuCalls()
    try {
      counter.reset()
      const fused = softmaxCrossEntropy(l, x)
      expect(counter.counts.dispatches).toBe(1)
      expectClose(await fused.data(), [Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2)) + 1], 'loss')
      fused.dispose()
    } finally {
      counter.stop()
      tf.dispose([l, x])
    }
    expect(() => webgpuSoftmaxCrossEntropy(tf.zeros([2, 3]), tf.zeros([3, 2]))).toThrow(/same shape/)
  })
})

describe('softmaxCrossEntropy off webgpu', () => {
  it('is tfjs’s softmaxCrossEntropy exactly on the cpu backend', async () => {
    await useBackend('cpu')
    const c = CASES[1]!
    const ours = await lossAndGrads(c, softmaxCrossEntropy)
    const tfjs = await lossAndGrads(c, (a, b) => tf.losses.softmaxCrossEntropy(a, b) as tf.Scalar)
    ours.forEach((o, i) => expect(Array.from(o)).toEqual(Array.from(tfjs[i]!)))
  })
})
