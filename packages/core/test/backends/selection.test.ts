import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { BackendError, ConfigError, train, useBackend } from '../../src/index.js'
import { activeBackend } from '../../src/backends/index.js'
import { smallTask } from '../helpers.js'

describe('backend selection', () => {
  it('auto: no native binding is installed here, so tuned WASM, recorded with nothing skipped', async () => {
    const info = await useBackend('auto')
    expect(info).toEqual({ requested: 'auto', name: 'wasm', tunedWasm: true, tfjsVersion: '4.22.0' })
    expect(activeBackend()).toEqual(info)
    const run = await train({ task: smallTask(), maxSteps: 1 })
    expect(run.backend).toEqual(info)
  })

  it('auto with tunedWasm: false records stock WASM', async () => {
    expect(await useBackend('auto', { tunedWasm: false })).toMatchObject({ requested: 'auto', name: 'wasm', tunedWasm: false })
    await useBackend('auto')
  })

  it('tensorflow: a BackendError naming the packages, CUDA/cuDNN versions and the download; the backend is unchanged', async () => {
    await useBackend('cpu')
    const err = await useBackend('tensorflow').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendError)
    const message = (err as Error).message
    expect(message).toMatch(/^backend 'tensorflow' cannot start: neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/)
    expect(message).toMatch(/@tensorflow\/tfjs-node \(CPU\) or @tensorflow\/tfjs-node-gpu \(NVIDIA GPU: CUDA 11\.2 with cuDNN 8\.1, Linux x64\) at version 4\.22\.0/)
    expect(message).toMatch(/downloads libtensorflow 2\.9\.1/)
    expect(tf.getBackend()).toBe('cpu')
    await expect(train({ task: smallTask(), maxSteps: 1, backend: 'tensorflow' })).rejects.toThrow(BackendError)
  })

  it('an unknown name is a ConfigError listing the allowed ones, from useBackend and from train', async () => {
    const err = await useBackend('tpu' as never).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(/^backend options: backend: got "tpu"; .*"auto".*"tensorflow".*"wasm".*"cpu".*"webgpu"/)
    await expect(train({ task: smallTask(), maxSteps: 1, backend: 'gpu' as never })).rejects.toThrow(/backend: got "gpu"/)
  })

  it('bad options are ConfigErrors naming the field', async () => {
    await expect(useBackend('wasm', { tunedWasm: 'yes' as never })).rejects.toThrow(/backend options: tunedWasm: got "yes"/)
    await expect(useBackend('wasm', { turbo: true } as never)).rejects.toThrow(ConfigError)
    await expect(useBackend('webgpu', { webgpu: { dawnFlags: ['vulkan'] } })).rejects.toThrow(/webgpu\.dawnFlags\.0: got "vulkan"; expected a Dawn flag of the form key=value/)
    await expect(useBackend('webgpu', { webgpu: { featureLevel: 'full' as never } })).rejects.toThrow(/webgpu\.featureLevel: got "full"/)
  })

  it('webgpu without an adapter: a BackendError that says what is missing; nothing is left half set up', async () => {
    await useBackend('wasm')
    // Dawn's OpenGL backend exists only in compatibility mode, so asking it for core finds no adapter on any machine.
    const err = await useBackend('webgpu', { webgpu: { dawnFlags: ['backend=opengl'], featureLevel: 'core' } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendError)
    const message = (err as Error).message
    expect(message).toMatch(/^backend 'webgpu' cannot start: Dawn found no WebGPU adapter \(flags \[backend=opengl\], feature level core\)/)
    expect(message).toMatch(/Vulkan driver/)
    expect(message).toMatch(/CONVERGE_DAWN_FLAGS=backend=opengl/)
    expect(tf.getBackend()).toBe('wasm')
    expect(activeBackend()).toMatchObject({ name: 'wasm' })
    expect((globalThis as { navigator?: unknown }).navigator).toBeUndefined()
    expect(tf.findBackendFactory('webgpu')).toBeNull()
  })

  it('a malformed CONVERGE_DAWN_FLAGS is a ConfigError naming the variable', async () => {
    process.env.CONVERGE_DAWN_FLAGS = 'backend=vulkan opengl'
    try {
      await expect(useBackend('webgpu')).rejects.toThrow(/webgpu environment: CONVERGE_DAWN_FLAGS\.1: got "opengl"; expected a Dawn flag/)
    } finally {
      delete process.env.CONVERGE_DAWN_FLAGS
    }
  })
})
