import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { useBackend } from '../../src/index.js'
import { JS_WASM_KERNELS, wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { bits, expectClose, expectWasmMatchesCpu, normalInput, runOn, withGradients, type InputSpec } from './kernel-check.js'

// The conv2d gradients and MaxPoolGrad that tuned WASM runs in JS over its heap: compared with
// tfjs's CPU kernels on fresh seeded inputs (outputs poisoned, so an unwritten element fails),
// checked not to touch the CPU backend, and trained with for a few Adam steps.

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})

afterEach(() => {
  vi.restoreAllMocks()
})

/** Runs `f` on tuned WASM and fails if any of it went through the CPU backend (the fallback). */
async function expectNoCpuFallback(inputs: readonly InputSpec[], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  await useBackend('cpu')
  const cpu = tf.backend() as unknown as { write: (...a: unknown[]) => unknown }
  const write = vi.spyOn(cpu, 'write')
  await runOn('wasm', inputs, f)
  expect(write).not.toHaveBeenCalled()
}

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]]
const convCases: { label: string; x: number[]; filter: number[]; strides: [number, number]; pad: Pad }[] = [
  { label: 'one input channel, 3x3, same (a first CNN layer)', x: [4, 9, 9, 1], filter: [3, 3, 1, 8], strides: [1, 1], pad: 'same' },
  { label: '8 -> 16 channels, 3x3, same, batch 3', x: [3, 7, 7, 8], filter: [3, 3, 8, 16], strides: [1, 1], pad: 'same' },
  { label: 'non-square input, 5x3 filter, valid', x: [2, 9, 6, 3], filter: [5, 3, 3, 4], strides: [1, 1], pad: 'valid' },
  { label: 'strides 2x1, same, odd sizes', x: [2, 7, 8, 3], filter: [3, 3, 3, 5], strides: [2, 1], pad: 'same' },
  { label: 'stride 3, valid (some pixels in no patch)', x: [2, 10, 10, 2], filter: [2, 2, 2, 3], strides: [3, 3], pad: 'valid' },
  { label: '4x4 filter, stride 2, same (uneven padding)', x: [2, 9, 9, 3], filter: [4, 4, 3, 2], strides: [2, 2], pad: 'same' },
  { label: '1x1 filter', x: [2, 5, 5, 6], filter: [1, 1, 6, 4], strides: [1, 1], pad: 'valid' },
  { label: 'explicit padding', x: [2, 6, 7, 3], filter: [3, 3, 3, 4], strides: [1, 2], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { label: 'filter as large as the input', x: [3, 4, 4, 2], filter: [4, 4, 2, 3], strides: [1, 1], pad: 'valid' },
]

describe('conv2d gradients (Conv2DBackpropFilter, Conv2DBackpropInput) equal the CPU kernels', () => {
  for (const { label, x, filter, strides, pad } of convCases) {
    it(label, async () => {
      const xs = normalInput(`conv grad ${label} x`, x)
      const w = normalInput(`conv grad ${label} w`, filter, 0.5)
      const f = (v: tf.Tensor, k: tf.Tensor) => tf.conv2d(v as tf.Tensor4D, k as tf.Tensor4D, strides, pad as never)
      await expectWasmMatchesCpu(`conv2d grads ${label}`, [xs, w], withGradients(`conv grad ${label}`, f as never))
    })
  }

  it('on the CNN bench shapes (64 images of 14x14, 8 -> 16 channels), within float32 rounding of the CPU sums', async () => {
    const xs = normalInput('conv grad big x', [64, 14, 14, 8])
    const w = normalInput('conv grad big w', [3, 3, 8, 16], 0.2)
    const f = withGradients('conv grad big', ((v: tf.Tensor, k: tf.Tensor) => tf.conv2d(v as tf.Tensor4D, k as tf.Tensor4D, 1, 'same')) as never)
    const expected = await runOn('cpu', [xs, w], f)
    const actual = await runOn('wasm', [xs, w], f)
    // The filter gradient sums 12 544 products per element: float32 sums stay within ~1e-5 of the
    // float64 ones relative to the largest element.
    const [, dx, dw] = actual as [Float32Array, Float32Array, Float32Array]
    const scale = Math.max(...(expected[2] as Float32Array).map(Math.abs))
    expectClose(dx, expected[1] as Float32Array, 'input gradient')
    const worst = Math.max(...dw.map((v, i) => Math.abs(v - (expected[2] as Float32Array)[i]!)))
    expect(worst / scale).toBeLessThan(1e-5)
  })

  it('run without the CPU backend', async () => {
    const xs = normalInput('conv no cpu x', [2, 6, 6, 3])
    const w = normalInput('conv no cpu w', [3, 3, 3, 4])
    await expectNoCpuFallback([xs, w], withGradients('conv no cpu', ((v: tf.Tensor, k: tf.Tensor) => tf.conv2d(v as tf.Tensor4D, k as tf.Tensor4D, 2, 'same')) as never))
  })
})

const poolCases: { label: string; x: number[]; size: [number, number]; strides: [number, number]; pad: 'same' | 'valid' }[] = [
  { label: '2x2 stride 2, valid, batch 3', x: [3, 8, 8, 4], size: [2, 2], strides: [2, 2], pad: 'valid' },
  { label: '2x2 stride 2, valid, odd size (last row and column dropped)', x: [2, 7, 9, 3], size: [2, 2], strides: [2, 2], pad: 'valid' },
  { label: '2x2 stride 2, same, odd size (windows cut by padding)', x: [2, 7, 9, 3], size: [2, 2], strides: [2, 2], pad: 'same' },
  { label: '3x3 stride 2, same (overlapping windows)', x: [2, 9, 8, 3], size: [3, 3], strides: [2, 2], pad: 'same' },
  { label: '3x3 stride 1, same (each pixel in up to 9 windows)', x: [2, 6, 6, 2], size: [3, 3], strides: [1, 1], pad: 'same' },
  { label: '2x3 window, strides 1x2, valid', x: [2, 6, 7, 2], size: [2, 3], strides: [1, 2], pad: 'valid' },
  { label: '2x2 stride 2, same, 6 channels (a lane group and a scalar tail)', x: [2, 7, 9, 6], size: [2, 2], strides: [2, 2], pad: 'same' },
  { label: '3x3 stride 3, valid, 8 channels', x: [2, 9, 10, 8], size: [3, 3], strides: [3, 3], pad: 'valid' },
]

describe('MaxPoolGrad equals the CPU kernel to the bit', () => {
  const inputs = (label: string, shape: number[]): [string, InputSpec][] => {
    const normal = normalInput(`pool ${label}`, shape)
    // ReLU outputs: ties at 0, where the gradient must go to the first maximum in the window.
    const ties: InputSpec = { ...normal, values: normal.values.map((v) => Math.max(0, Math.round(v))) }
    const negative = normalInput(`pool negative ${label}`, shape, 1, -10)
    return [['normal', normal], ['ties', ties], ['all negative', negative]]
  }
  for (const { label, x, size, strides, pad } of poolCases) {
    for (const [kind, input] of inputs(label, x)) {
      it(`${label}, ${kind} values`, async () => {
        const f = withGradients(`pool ${label}`, (v) => tf.maxPool(v as tf.Tensor4D, size, strides, pad))
        const expected = await runOn('cpu', [input], f)
        const actual = await runOn('wasm', [input], f)
        expect(Array.from(actual[1]!)).toEqual(Array.from(expected[1]!))
        expectClose(actual[0]!, expected[0]!, 'forward')
      })
    }
  }

  it('a window of NaNs passes no gradient, as on CPU', async () => {
    const values = normalInput('pool nan', [1, 4, 4, 1]).values
    values.fill(Number.NaN, 0, 2)
    values.fill(Number.NaN, 4, 6)
    const input: InputSpec = { shape: [1, 4, 4, 1], values, dtype: 'float32' }
    const f = (v: tf.Tensor) => [tf.grad((u: tf.Tensor) => tf.sum(tf.maxPool(u as tf.Tensor4D, 2, 2, 'valid')))(v)]
    const [expected] = await runOn('cpu', [input], f)
    const [actual] = await runOn('wasm', [input], f)
    expect(Array.from(actual!)).toEqual(Array.from(expected!))
  })

  it('NaNs in some channels of a window: those channels pass no gradient, the others do (four lanes)', async () => {
    const values = normalInput('pool nan lanes', [1, 4, 4, 4]).values
    for (let i = 0; i < values.length; i += 4) values[i + 1] = Number.NaN // channel 1 everywhere
    values[2] = Number.NaN // channel 2 of the first pixel only
    const input: InputSpec = { shape: [1, 4, 4, 4], values, dtype: 'float32' }
    const f = (v: tf.Tensor) => [tf.grad((u: tf.Tensor) => tf.sum(tf.maxPool(u as tf.Tensor4D, 2, 2, 'valid')))(v)]
    const [expected] = await runOn('cpu', [input], f)
    const [actual] = await runOn('wasm', [input], f)
    expect(Array.from(actual!)).toEqual(Array.from(expected!))
  })

  it('runs without the CPU backend', async () => {
    const input = normalInput('pool no cpu', [2, 6, 6, 3])
    await expectNoCpuFallback([input], withGradients('pool no cpu', (v) => tf.maxPool(v as tf.Tensor4D, 3, 2, 'same')))
  })
})

/** A small CNN (two conv + ReLU + max-pool layers, a dense head), trained for `steps` Adam steps. */
async function trainCnn(backend: 'cpu' | 'wasm', steps: number): Promise<{ losses: number[]; weights: Float32Array[]; tensorCounts: number[] }> {
  await useBackend(backend)
  const init = (seed: string, shape: number[], scale: number) => {
    const values = tf.tensor(normalInput(seed, shape, scale).values, shape)
    const v = tf.variable(values)
    values.dispose()
    return v
  }
  const k1 = init('cnn k1', [3, 3, 1, 4], 0.4)
  const k2 = init('cnn k2', [3, 3, 4, 6], 0.2)
  const w = init('cnn w', [4 * 4 * 6, 5], 0.1)
  const vars = [k1, k2, w]
  const x = tf.tensor(normalInput('cnn x', [6, 16, 16, 1]).values, [6, 16, 16, 1]) as tf.Tensor4D
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32'), 5).toFloat())
  const opt = tf.train.adam(1e-2)
  const losses: number[] = []
  const tensorCounts: number[] = []
  for (let i = 0; i < steps; i++) {
    const loss = opt.minimize(() => {
      const h1 = tf.maxPool(tf.relu(tf.conv2d(x, k1 as tf.Tensor4D, 1, 'same')), 2, 2, 'valid')
      const h2 = tf.maxPool(tf.relu(tf.conv2d(h1, k2 as tf.Tensor4D, 1, 'same')), 2, 2, 'valid')
      return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.reshape(h2, [6, 4 * 4 * 6]), w)) as tf.Scalar
    }, true, vars)!
    losses.push(loss.dataSync()[0]!)
    loss.dispose()
    tensorCounts.push(tf.memory().numTensors)
  }
  const weights = vars.map((v) => Float32Array.from(v.dataSync()))
  opt.dispose()
  tf.dispose([...vars, x, y])
  return { losses, weights, tensorCounts }
}

describe('a CNN trains the same on tuned WASM as on CPU', () => {
  it('losses and weights after 8 Adam steps agree; tensors stay flat', async () => {
    const cpu = await trainCnn('cpu', 8)
    const wasm = await trainCnn('wasm', 8)
    expect(cpu.losses[7]!).toBeLessThan(cpu.losses[0]!)
    expectClose(wasm.losses, cpu.losses, 'losses')
    wasm.weights.forEach((w, i) => expectClose(w, cpu.weights[i]!, `weights ${i}`))
    // Adam's moments are created on the first step; after that, nothing accumulates.
    expect(new Set(wasm.tensorCounts.slice(1)).size).toBe(1)
  })

  it('every kernel the fix replaces is registered and the WASM data count is flat over steps', async () => {
    await useBackend('wasm')
    for (const name of JS_WASM_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined()
    const wasmIds = () => tf.engine().registry.wasm!.numDataIds()
    await trainCnn('wasm', 1)
    const before = wasmIds()
    await trainCnn('wasm', 3)
    expect(wasmIds()).toBe(before)
  })
})

describe('the filter gradient equals the im2col matmul to the bit', () => {
  /** The im2col matrix [filterH·filterW·inC, batch·outH·outW] of x, zeros in the padding, built in JS. */
  function im2col(x: tf.Tensor4D, filter: number[], strides: [number, number], pad: Pad): { matrix: tf.Tensor2D; dyShape: number[] } {
    const info = tf.backend_util.computeConv2DInfo(x.shape, filter as [number, number, number, number], strides, 1, pad as never)
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info
    const v = x.dataSync()
    const cols = batchSize * outHeight * outWidth
    const m = new Float32Array(filterHeight * filterWidth * inChannels * cols)
    for (let fh = 0; fh < filterHeight; fh++)
      for (let fw = 0; fw < filterWidth; fw++)
        for (let c = 0; c < inChannels; c++)
          for (let p = 0; p < cols; p++) {
            const n = Math.floor(p / (outHeight * outWidth))
            const oh = Math.floor(p / outWidth) % outHeight
            const ow = p % outWidth
            const ih = oh * strideHeight - info.padInfo.top + fh
            const iw = ow * strideWidth - info.padInfo.left + fw
            const inside = ih >= 0 && ih < inHeight && iw >= 0 && iw < inWidth
            m[((fh * filterWidth + fw) * inChannels + c) * cols + p] = inside ? v[((n * inHeight + ih) * inWidth + iw) * inChannels + c]! : 0
          }
    return { matrix: tf.tensor2d(m, [filterHeight * filterWidth * inChannels, cols]), dyShape: [batchSize, outHeight, outWidth, filter[3]!] }
  }

  for (const c of [...convCases, { label: 'the CNN bench shape, 64 images of 14x14, 8 -> 16', x: [64, 14, 14, 8], filter: [3, 3, 8, 16], strides: [1, 1] as [number, number], pad: 'same' as Pad }]) {
    it(c.label, () => {
      const x = tf.tensor4d(normalInput(`${c.label} x`, c.x).values, c.x as [number, number, number, number])
      const { matrix, dyShape } = im2col(x, c.filter, c.strides, c.pad)
      const dy = tf.tensor(normalInput(`${c.label} dy`, dyShape).values, dyShape)
      // the matmul the im2col path ran (one chain over k: XNNPACK or the SIMD matmul)
      const expected = tf.matMul(matrix, tf.reshape(dy, [-1, c.filter[3]!]))
      // d/dk Σ conv2d(x, k)·dy is Conv2DBackpropFilter(x, dy) (the upstream gradient is dy exactly)
      const actual = tf.tidy(() => tf.grad((k: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, k as tf.Tensor4D, c.strides, c.pad as never), dy)))(tf.zeros(c.filter)))
      expect(actual.shape).toEqual(c.filter)
      expect(bits(actual)).toEqual(bits(expected))
      tf.dispose([x, matrix, dy, expected, actual])
    })
  }
})

describe('the input gradient equals the matmul plus a col2im in float32 to the bit', () => {
  /** col2im in JS: each position's patch gradient added into dx, positions then taps in order, float32 adds. */
  function col2imReference(patchGrads: Float32Array, xShape: number[], filter: number[], strides: [number, number], pad: Pad): Float32Array {
    const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filter as [number, number, number, number], strides, 1, pad as never)
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info
    const dx = new Float32Array(batchSize * inHeight * inWidth * inChannels)
    let at = 0
    for (let n = 0; n < batchSize; n++)
      for (let oh = 0; oh < outHeight; oh++)
        for (let ow = 0; ow < outWidth; ow++)
          for (let fh = 0; fh < filterHeight; fh++)
            for (let fw = 0; fw < filterWidth; fw++, at += inChannels) {
              const ih = oh * strideHeight - info.padInfo.top + fh
              const iw = ow * strideWidth - info.padInfo.left + fw
              if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) continue
              const base = ((n * inHeight + ih) * inWidth + iw) * inChannels
              for (let c = 0; c < inChannels; c++) dx[base + c]! += patchGrads[at + c]!
            }
    return dx
  }

  for (const c of [...convCases, { label: 'the CNN bench shape, 64 images of 14x14, 8 -> 16', x: [64, 14, 14, 8], filter: [3, 3, 8, 16], strides: [1, 1] as [number, number], pad: 'same' as Pad }]) {
    it(c.label, () => {
      const x = tf.zeros(c.x as [number, number, number, number]) as tf.Tensor4D
      const k = tf.tensor4d(normalInput(`${c.label} k`, c.filter).values, c.filter as [number, number, number, number])
      const y = tf.conv2d(x, k, c.strides, c.pad as never)
      const dy = tf.tensor(normalInput(`${c.label} dy`, y.shape).values, y.shape)
      const patchGrads = tf.matMul(tf.reshape(dy, [-1, c.filter[3]!]), tf.reshape(k, [-1, c.filter[3]!]), false, true)
      const expected = col2imReference(patchGrads.dataSync() as Float32Array, c.x, c.filter, c.strides, c.pad)
      // d/dx Σ conv2d(x, k)·dy is Conv2DBackpropInput(dy, k)
      const actual = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(v as tf.Tensor4D, k, c.strides, c.pad as never), dy)))(x))
      expect(bits(actual)).toEqual(Array.from(new Uint32Array(expected.buffer)))
      tf.dispose([x, k, y, dy, patchGrads, actual])
    })
  }
})
