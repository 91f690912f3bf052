import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { expectWasmMatchesCpu, mismatches, normalInput, intInput, poisonWasmOutputs, runOn, withGradients, type InputSpec } from './kernel-check.js'

// Every case draws fresh seeded inputs (a seed per case), runs on CPU and on tuned WASM, and
// compares the output and the gradients of a random-weighted sum of it w.r.t. every float input,
// to 1e-5, with WASM outputs poisoned so that an element a kernel leaves unwritten reads as NaN.

type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType }
type WasmBackend = { makeOutput(shape: number[], dtype: tf.DataType): TensorInfo; typedArrayFromHeap(t: TensorInfo): Float32Array }

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})

describe('the poisoned comparison catches unwritten output elements', () => {
  // A deliberately broken kernel: it allocates its output and copies only the first half of x.
  tf.registerKernel({
    kernelName: 'ConvergeTestHalfWritten',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const wasm = backend as unknown as WasmBackend
      const x = inputs.x as unknown as TensorInfo
      const out = wasm.makeOutput(x.shape, 'float32')
      const src = wasm.typedArrayFromHeap(x)
      wasm.typedArrayFromHeap(out).set(src.subarray(0, src.length / 2))
      return out as never
    },
  })
  const input = normalInput('half-written', [64])
  const halfWritten = (x: tf.Tensor) => tf.engine().runKernel('ConvergeTestHalfWritten', { x }) as tf.Tensor

  it('unpoisoned, recycled memory can hold exactly the expected values, so the broken kernel passes', async () => {
    await useBackend('wasm')
    const x = tf.tensor(input.values, input.shape)
    // A copy of the expected output is freed just before the kernel allocates its output: malloc
    // hands the same block back, still holding the right numbers in the half never written.
    tf.tensor(input.values, input.shape).dispose()
    const y = halfWritten(x)
    expect(mismatches(y.dataSync(), input.values)).toEqual([])
    tf.dispose([x, y])
  })

  it('poisoned, exactly the unwritten half fails', async () => {
    const [y] = await runOn('wasm', [input], (x) => {
      tf.tensor(input.values, input.shape).dispose() // the same recycled block as above
      return [halfWritten(x as tf.Tensor)]
    })
    expect(mismatches(y as Float32Array, input.values)).toEqual(Array.from({ length: 32 }, (_, i) => 32 + i))
  })
})

describe('BatchMatMul with transpose flags (explicit transpose + plain matmul)', () => {
  // tfjs's BatchMatMul gradient rejects broadcast batch dimensions (on every backend), so that
  // case compares values only.
  const shapes: [string, number[], number[], boolean][] = [
    ['2-D', [5, 7], [7, 3], true],
    ['batched 3-D', [3, 5, 7], [3, 7, 4], true],
    ['size-1 dimensions (the transpose moves no data)', [1, 7], [7, 1], true],
    ['broadcast batch, values only', [2, 5, 7], [1, 7, 4], false],
  ]
  for (const [label, aShape, bShape, differentiate] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      it(`${label}, transposeA=${ta}, transposeB=${tb}`, async () => {
        const swap = (s: number[]) => [...s.slice(0, -2), s[s.length - 1] as number, s[s.length - 2] as number]
        const seed = `matmul ${label} ${ta} ${tb}`
        const a = normalInput(`${seed} a`, ta ? swap(aShape) : aShape)
        const b = normalInput(`${seed} b`, tb ? swap(bShape) : bShape)
        const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb)
        await expectWasmMatchesCpu(seed, [a, b], differentiate ? withGradients(seed, f as never) : (x, y) => [f(x as tf.Tensor, y as tf.Tensor)])
      })
    }
  }
})

describe('_FusedMatMul with transpose flags, bias and activation', () => {
  for (const [ta, tb] of [[true, false], [false, true], [true, true]] as const) {
    for (const activation of ['relu', 'linear'] as const) {
      it(`transposeA=${ta}, transposeB=${tb}, ${activation}`, async () => {
        const seed = `fused ${ta} ${tb} ${activation}`
        const a = normalInput(`${seed} a`, ta ? [7, 6] : [6, 7])
        const b = normalInput(`${seed} b`, tb ? [5, 7] : [7, 5])
        const bias = normalInput(`${seed} bias`, [5])
        const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
          tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA: ta, transposeB: tb, bias: z, activation })
        await expectWasmMatchesCpu(seed, [a, b, bias], withGradients(seed, f as never))
      })
    }
  }
})

describe('CPU fallbacks', () => {
  it('UnsortedSegmentSum, with its gradient', async () => {
    const x = normalInput('segsum x', [12, 3])
    const ids = intInput('segsum ids', [12], 5)
    await expectWasmMatchesCpu('unsortedSegmentSum', [x, ids], withGradients('segsum', (v, s) => tf.unsortedSegmentSum(v as tf.Tensor, s as tf.Tensor1D, 6)))
  })
  for (const axis of [0, 1]) {
    it(`gather's gradient (UnsortedSegmentSum), axis ${axis}, repeated indices`, async () => {
      const x = normalInput(`gather ${axis} x`, [10, 6])
      const idx = intInput(`gather ${axis} idx`, [9], axis === 0 ? 10 : 6)
      await expectWasmMatchesCpu(`gather axis ${axis}`, [x, idx], withGradients(`gather ${axis}`, (v, i) => tf.gather(v as tf.Tensor, i as tf.Tensor1D, axis)))
    })
  }
  const convCases: [string, [number, number], 'same' | 'valid', [number, number]][] = [
    ['stride 1, same', [1, 1], 'same', [1, 1]],
    ['stride 2, valid', [2, 2], 'valid', [1, 1]],
    ['stride 2, same', [2, 2], 'same', [1, 1]],
  ] // tfjs has no conv gradients for dilations above 1, on any backend
  for (const [label, strides, pad, dilations] of convCases) {
    it(`conv2d filter and input gradients (Conv2DBackpropFilter), ${label}`, async () => {
      const x = normalInput(`conv ${label} x`, [2, 7, 7, 3])
      const w = normalInput(`conv ${label} w`, [3, 3, 3, 4], 0.5)
      const f = (v: tf.Tensor, k: tf.Tensor) => tf.conv2d(v as tf.Tensor4D, k as tf.Tensor4D, strides, pad, 'NHWC', dilations)
      await expectWasmMatchesCpu(`conv2d ${label}`, [x, w], withGradients(`conv ${label}`, f as never))
    })
    it(`depthwiseConv2d filter and input gradients (DepthwiseConv2dNativeBackprop*), ${label}`, async () => {
      const x = normalInput(`dw ${label} x`, [2, 7, 7, 3])
      const w = normalInput(`dw ${label} w`, [3, 3, 3, 2], 0.5)
      const f = (v: tf.Tensor, k: tf.Tensor) => tf.depthwiseConv2d(v as tf.Tensor4D, k as tf.Tensor4D, strides, pad, 'NHWC', dilations)
      await expectWasmMatchesCpu(`depthwiseConv2d ${label}`, [x, w], withGradients(`dw ${label}`, f as never))
    })
  }
  for (const [label, size, stride, pad] of [
    ['2x2 stride 2', 2, 2, 'valid'],
    ['3x3 stride 1 same', 3, 1, 'same'],
  ] as const) {
    it(`maxPool gradient (MaxPoolGrad), ${label}`, async () => {
      const x = normalInput(`maxpool ${label}`, [2, 6, 6, 3])
      await expectWasmMatchesCpu(`maxPool ${label}`, [x], withGradients(`maxpool ${label}`, (v) => tf.maxPool(v as tf.Tensor4D, size, stride, pad)))
    })
  }
  for (const equation of ['ij,jk->ik', 'bij,bkj->bik', 'ij,ij->i']) {
    it(`einsum ${equation}`, async () => {
      const [lhs] = equation.split('->') as [string]
      const dims: Record<string, number> = { b: 2, i: 3, j: 4, k: 5 }
      const inputs = lhs.split(',').map((term, n) => normalInput(`einsum ${equation} ${n}`, [...term].map((c) => dims[c] as number)))
      await expectWasmMatchesCpu(`einsum ${equation}`, inputs, (...xs) => [tf.einsum(equation, ...xs)])
    })
  }
})

describe('MaxPoolGrad on all-negative windows (stock WASM routes the gradient to the first element)', () => {
  // Distinct negative values: every window's argmax is unique, and rarely its first element.
  const x: InputSpec = normalInput('negative windows', [1, 4, 4, 2], 1, -10)
  const grad = (v: tf.Tensor) => [tf.grad((u: tf.Tensor) => tf.sum(tf.maxPool(u as tf.Tensor4D, 2, 2, 'valid')))(v)]

  it('the tuned WASM gradient equals the CPU one: 1 at each window argmax, 0 elsewhere', async () => {
    expect(Math.max(...x.values)).toBeLessThan(0)
    const [expected] = (await runOn('cpu', [x], grad)) as [Float32Array]
    const [actual] = (await runOn('wasm', [x], grad)) as [Float32Array]
    expect(expected.reduce((s, v) => s + v, 0)).toBe(8) // one per window: 2x2 windows x 2 channels
    expect(mismatches(actual, expected)).toEqual([])
  })

  it('stock WASM gets it wrong (so the test above can tell the two apart)', async () => {
    const [expected] = (await runOn('cpu', [x], grad)) as [Float32Array]
    const [stock] = (await runOn('wasm-stock', [x], grad)) as [Float32Array]
    expect(mismatches(stock, expected).length).toBeGreaterThan(0)
    await useBackend('wasm')
  })
})

describe('the fixes leave no tensors or buffers behind', () => {
  it('tensor and data counts on WASM and CPU are flat over repeated gradient calls (matmul, maxPool, gather)', async () => {
    await useBackend('wasm')
    const x = tf.tensor(normalInput('leak x', [2, 6, 6, 3]).values, [2, 6, 6, 3]) as tf.Tensor4D
    const idx = tf.tensor(intInput('leak idx', [5], 6).values, [5], 'int32') as tf.Tensor1D
    const step = () =>
      tf.tidy(() => {
        const loss = (v: tf.Tensor) => {
          const flat = tf.reshape(v, [2, 108])
          const mm = tf.sum(tf.matMul(flat, flat, false, true)) // its gradient sets both transpose flags
          return tf.addN([mm, tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')), tf.sum(tf.gather(v, idx, 1))])
        }
        const g = tf.grads(loss)([x])
        g[0]?.dataSync()
      })
    const counts = () => [tf.memory().numTensors, tf.engine().registry.wasm!.numDataIds(), tf.engine().registry.cpu!.numDataIds()]
    step()
    const before = counts()
    for (let i = 0; i < 5; i++) step()
    expect(counts()).toEqual(before)
    tf.dispose([x, idx])
  })
})
