import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { BackendError, useBackend, train } from '../src/index.js'
import { wasmKernelFixesInstalled } from '../src/backends/index.js'
import { smallTask } from './helpers.js'

describe('backends', () => {
  it('auto picks tuned WASM when no native binding is installed, and the run records it', async () => {
    const r = await train({ task: smallTask(), maxSteps: 1, backend: 'auto' })
    expect(r.backend).toMatchObject({ requested: 'auto', name: 'wasm', tunedWasm: true })
    expect(tf.getBackend()).toBe('wasm')
    expect(wasmKernelFixesInstalled()).toBe(true)
  })
  it('cpu and wasm start by name; stock WASM can be asked for', async () => {
    expect((await train({ task: smallTask(), maxSteps: 1, backend: 'cpu' })).backend).toMatchObject({ name: 'cpu' })
    const stock = await train({ task: smallTask(), maxSteps: 1, backend: 'wasm', tunedWasm: false })
    expect(stock.backend).toMatchObject({ name: 'wasm', tunedWasm: false })
    expect(wasmKernelFixesInstalled()).toBe(false)
  })
  it('tensorflow is an error that says how to install it, never a silent fallback', async () => {
    const err = await useBackend('tensorflow').catch((e) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect(err.message).toMatch(/backend 'tensorflow' cannot start: neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/)
    expect(err.message).toMatch(/CUDA 11\.2 with cuDNN 8\.1/)
    await expect(train({ task: smallTask(), maxSteps: 1, backend: 'tensorflow' })).rejects.toThrow(BackendError)
  })
})
