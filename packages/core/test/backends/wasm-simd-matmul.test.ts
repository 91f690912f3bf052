import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'
import { I32, kernelModule, op, sleb, uleb } from '../../src/backends/wasm-bytecode.js'
import { MAX_SINGLE_B_ELEMENTS, simdMatmul } from '../../src/backends/wasm-simd-matmul.js'
import { tiledTranspose } from '../../src/backends/wasm-transpose.js'
import { withoutTransposeFlags } from '../../src/backends/wasm-tuning.js'
import { bits, expectStockBits, mixed, stockAndTuned } from './kernel-check.js'

// The SIMD matmul (wasm-simd-matmul.ts) compared bit for bit with the two tfjs paths whose
// summation order it copies: the scalar loop for batches, XNNPACK for one matrix.

beforeAll(async () => {
  await useBackend('wasm')
  expect(wasmKernelFixesInstalled()).toBe(true)
})
afterAll(() => installWasmKernelFixes())

/** The tuned backend's BatchMatMul as it was before the SIMD kernel: explicit transposes, then tfjs's kernel. */
function transposeFreeStock(): { matmul: tf.KernelFunc; transpose: tf.KernelFunc } {
  uninstallWasmKernelFixes()
  const stockMatmul = tf.getKernel('BatchMatMul', 'wasm')!
  const transpose = tiledTranspose(tf.getKernel('Transpose', 'wasm')!)
  installWasmKernelFixes()
  return { matmul: withoutTransposeFlags(stockMatmul, transpose), transpose }
}

/** `f` with the BatchMatMul kernel function replaced by `kernelFunc`. */
function withMatmul<T>(kernelFunc: tf.KernelFunc, f: () => T): T {
  const config = tf.getKernel('BatchMatMul', 'wasm')!
  tf.unregisterKernel('BatchMatMul', 'wasm')
  tf.registerKernel({ ...config, kernelFunc })
  try {
    return f()
  } finally {
    tf.unregisterKernel('BatchMatMul', 'wasm')
    tf.registerKernel(config)
  }
}

describe('a batch of matrices equals tfjs’s scalar loop to the bit', () => {
  // [label, a shape, b shape, transposeA, transposeB]
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['attention scores [32] 16×16 · (16×16)ᵀ', [32, 16, 16], [32, 16, 16], false, true],
    ['attention values [32] 16×16 · 16×16', [32, 16, 16], [32, 16, 16], false, false],
    ['a gradient with aᵀ', [64, 32, 16], [64, 32, 32], true, false],
    ['both transposed, odd sizes', [3, 13, 7], [3, 9, 13], true, true],
    ['k = 97 > 48: block sums added to the outputs', [3, 11, 97], [3, 97, 7], false, false],
    ['k = 130, aᵀ and bᵀ, 21 columns (16 + 4 in lane groups, 1 scalar)', [2, 130, 5], [2, 21, 130], true, true],
    ['rank 4, one row (m = 1)', [2, 3, 1, 50], [2, 3, 50, 9], false, false],
    ['one column (n = 1)', [4, 6, 5], [4, 5, 1], false, false],
  ]
  for (const [label, sa, sb, ta, tb] of cases) {
    it(label, () => {
      const a = mixed(`${label} a`, sa)
      const b = mixed(`${label} b`, sb)
      expectStockBits(() => tf.matMul(a, b, ta, tb))
      tf.dispose([a, b])
    })
  }
})

describe('one matrix equals XNNPACK (tfjs’s path for it) to the bit', () => {
  // the stock kernel sends an untransposed single matrix to XNNPACK; transposed operands are
  // made explicit first, as the tuned backend did before the SIMD kernel
  const cases: [string, number, number, number, boolean, boolean][] = [
    ['a dense layer 512×64 · 64×64', 512, 64, 64, false, false],
    ['a weight gradient (aᵀ) with k = 512', 64, 512, 176, true, false],
    ['an input gradient (bᵀ)', 512, 176, 64, false, true],
    ['odd rows, k = 1', 7, 1, 8, false, false],
    ['m = 1', 1, 300, 12, false, false],
    ['an output layer’s weight gradient (aᵀ), 10 columns (two lane groups and a scalar tail)', 256, 256, 10, true, false],
  ]
  for (const [label, m, k, n, ta, tb] of cases) {
    it(label, () => {
      const a = mixed(`${label} a`, ta ? [k, m] : [m, k])
      const b = mixed(`${label} b`, tb ? [n, k] : [k, n])
      const { stock, tuned } = stockAndTuned(() => tf.matMul(ta ? tf.transpose(a) : a, tb ? tf.transpose(b) : b))
      const direct = tf.matMul(a, b, ta, tb)
      expect(bits(direct)).toEqual(bits(stock))
      expect(bits(tuned)).toEqual(bits(stock))
      tf.dispose([a, b, stock, tuned, direct])
    })
  }

  it('leaves a large b, columns not in fours (unless a is transposed), and broadcast batches to the kernel before it', () => {
    const { matmul, transpose } = transposeFreeStock()
    let calls = 0
    const kernel = simdMatmul((args) => (calls++, matmul(args)), transpose)
    const tookOther = (a: tf.Tensor, b: tf.Tensor, transposeA = false): boolean => {
      const before = calls
      withMatmul(kernel, () => tf.matMul(a, b, transposeA).dispose())
      return calls > before
    }
    const a = mixed('large a', [4, 512])
    const large = mixed('large b', [512, MAX_SINGLE_B_ELEMENTS / 512 + 4])
    const narrow = mixed('narrow b', [512, 10])
    const small = mixed('small b', [512, 8])
    const batchA = mixed('batch a', [3, 4, 5])
    const oneB = mixed('one b', [1, 5, 4])
    expect(tookOther(a, large)).toBe(true)
    expect(tookOther(a, narrow)).toBe(true)
    expect(tookOther(batchA, oneB)).toBe(true)
    expect(tookOther(a, small)).toBe(false)
    const aT = mixed('transposed a', [512, 4])
    expect(tookOther(aT, narrow, true)).toBe(false)
    tf.dispose([a, aT, large, narrow, small, batchA, oneB])
  })
})

describe('the SIMD matmul in training', () => {
  it('gives an attention block’s gradients bit for bit as the kernel before it', () => {
    const x = mixed('attention x', [8, 16, 32])
    const w = mixed('attention w', [32, 96])
    const loss = (weights: tf.Tensor) => {
      const qkv = tf.reshape(tf.matMul(tf.reshape(x, [128, 32]), weights), [8, 16, 96])
      const [q, k, v] = tf.split(qkv, 3, 2)
      const scores = tf.softmax(tf.mul(tf.matMul(q!, k!, false, true), 0.1))
      return tf.sum(tf.square(tf.matMul(scores, v!)))
    }
    const gradient = () => tf.tidy(() => tf.grad(loss)(w))
    const before = withMatmul(transposeFreeStock().matmul, gradient)
    const after = gradient()
    expect(bits(after)).toEqual(bits(before))
    expect(after.dataSync().every(Number.isFinite)).toBe(true)
    tf.dispose([x, w, before, after])
  })

  it('keeps the tensor count flat over repeated calls', () => {
    const a = mixed('flat a', [4, 8, 8])
    const b = mixed('flat b', [4, 8, 8])
    tf.matMul(a, b, false, true).dispose()
    const before = tf.memory().numTensors
    for (let i = 0; i < 5; i++) tf.matMul(a, b, false, true).dispose()
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([a, b])
  })

  it('rejects mismatched inner dimensions with the stock error', () => {
    const a = tf.zeros([2, 3, 4])
    const b = tf.zeros([2, 5, 6])
    expect(() => tf.matMul(a, b)).toThrow(/inner shapes/)
    tf.dispose([a, b])
  })
})

describe('the bytecode encoder', () => {
  it('writes LEB128 as the format defines it', () => {
    expect(uleb(0)).toEqual([0])
    expect(uleb(127)).toEqual([127])
    expect(uleb(128)).toEqual([0x80, 1])
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26])
    expect(sleb(-1)).toEqual([0x7f])
    expect(sleb(63)).toEqual([63])
    expect(sleb(64)).toEqual([0xc0, 0])
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78])
  })

  it('builds a module that validates and runs on an imported memory', () => {
    // store(p0, load(p0) * 2): params are (p0, p1) so the module has the kernel's shape
    const body = [...op.get(0), ...op.get(0), ...op.f32Load(), ...op.f32(2), ...op.f32Mul(), ...op.f32Store()]
    const bytes = kernelModule('double', [I32, I32], [], body)
    const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer }; Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => void> } } }).WebAssembly
    const memory = new api.Memory({ initial: 1 })
    new Float32Array(memory.buffer)[2] = 1.25
    const instance = new api.Instance(new api.Module(bytes), { env: { memory } })
    instance.exports.double!(8, 0)
    expect(new Float32Array(memory.buffer)[2]).toBe(2.5)
  })
})
