import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { BackendError, useBackend } from '../../src/index.js'
import { CPU_FALLBACK_KERNELS, HEAP_SLICE_KERNELS, INTEGER_POW_KERNELS, SIMD_BINARY_KERNELS, SIMD_UNARY_KERNELS, JS_WASM_KERNELS, SHARED_BUFFER_KERNELS, TRANSPOSE_FREE_KERNELS, activeBackend, installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from '../../src/backends/index.js'

const REPLACED = [...TRANSPOSE_FREE_KERNELS, ...CPU_FALLBACK_KERNELS, ...JS_WASM_KERNELS, ...SHARED_BUFFER_KERNELS, ...HEAP_SLICE_KERNELS, ...SIMD_BINARY_KERNELS, ...INTEGER_POW_KERNELS, ...SIMD_UNARY_KERNELS]
/** The kernel function registered for each replaced kernel on wasm (undefined: none registered). */
const registered = () => REPLACED.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)
const segmentSum = () => tf.tidy(() => tf.unsortedSegmentSum(tf.ones([4, 2]), tf.tensor1d([0, 1, 1, 0], 'int32'), 2).dataSync())

describe('tuned WASM: installed once, idempotent, switchable off', () => {
  let stock: ReturnType<typeof registered>

  it('installing before the wasm backend has started is a BackendError', () => {
    expect(() => installWasmKernelFixes()).toThrow(BackendError)
    expect(() => installWasmKernelFixes()).toThrow(/wasm backend is not started; call `await useBackend\('wasm'\)` first/)
    expect(wasmKernelFixesInstalled()).toBe(false)
  })

  it('tunedWasm: false runs the stock kernels, and says so', async () => {
    const info = await useBackend('wasm', { tunedWasm: false })
    expect(info).toMatchObject({ requested: 'wasm', name: 'wasm', tunedWasm: false })
    expect(wasmKernelFixesInstalled()).toBe(false)
    stock = registered()
    // Stock tfjs: the CPU-only kernels are missing on wasm.
    expect(REPLACED.filter((_, i) => stock[i] === undefined)).toEqual(['UnsortedSegmentSum', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'Einsum', 'Conv2DBackpropFilter'])
    expect(segmentSum).toThrow(/Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'/)
  })

  it('tunedWasm: true installs every replacement; a second install changes nothing', async () => {
    const info = await useBackend('wasm', { tunedWasm: true })
    expect(info.tunedWasm).toBe(true)
    expect(activeBackend()).toMatchObject({ name: 'wasm', tunedWasm: true })
    const tuned = registered()
    tuned.forEach((fn, i) => {
      expect(fn, REPLACED[i]).toBeTypeOf('function')
      expect(fn, REPLACED[i]).not.toBe(stock[i])
    })
    expect(Array.from(segmentSum())).toEqual([2, 2, 2, 2])
    installWasmKernelFixes()
    await useBackend('wasm')
    await useBackend('auto')
    expect(registered()).toEqual(tuned)
  })

  it('switching off restores exactly the stock kernels, and on again reinstalls', async () => {
    await useBackend('wasm', { tunedWasm: false })
    expect(registered()).toEqual(stock)
    uninstallWasmKernelFixes() // a second uninstall is harmless
    expect(registered()).toEqual(stock)
    expect(activeBackend()).toMatchObject({ name: 'wasm', tunedWasm: false })
    await useBackend('wasm', { tunedWasm: true })
    expect(registered().every((fn, i) => typeof fn === 'function' && fn !== stock[i])).toBe(true)
    expect(Array.from(segmentSum())).toEqual([2, 2, 2, 2])
  })

  it('stock and tuned matmul gradients agree (the fix changes speed, not results)', async () => {
    const run = () =>
      tf.tidy(() => {
        const a = tf.tensor2d(Array.from({ length: 35 }, (_, i) => Math.sin(i)), [5, 7])
        const b = tf.tensor2d(Array.from({ length: 21 }, (_, i) => Math.cos(i)), [7, 3])
        return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([a, b]).map((g) => Array.from(g.dataSync()))
      })
    const tuned = run()
    await useBackend('wasm', { tunedWasm: false })
    const plain = run()
    await useBackend('wasm')
    tuned.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(plain[i]![j]!, 4)))
  })
})
