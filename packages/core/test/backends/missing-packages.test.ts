import * as tf from '@tensorflow/tfjs'
import { afterEach, describe, expect, it, vi } from 'vitest'

// converge finds optional packages with require.resolve (createRequire). Here that resolution is
// made to fail for the packages in `hidden` (as if they were not installed) and to succeed, with
// nothing behind it, for those in `broken` (installed, but loading fails).
const packages = vi.hoisted(() => ({ hidden: new Set<string>(), broken: new Set<string>() }))
vi.mock('node:module', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:module')>()
  const createRequire = (from: string | URL) => {
    const require = real.createRequire(from)
    const resolve = (id: string) => {
      if (packages.hidden.has(id)) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' })
      if (packages.broken.has(id)) return `/nonexistent/${id}/index.js`
      return require.resolve(id)
    }
    return Object.assign((id: string) => require(id), { resolve })
  }
  return { ...real, default: { ...real, createRequire }, createRequire }
})

const { BackendError, useBackend } = await import('../../src/index.js')

afterEach(() => {
  packages.hidden.clear()
  packages.broken.clear()
})

describe('webgpu without its optional packages', () => {
  it('without webgpu: a BackendError that names it and how to install it, before touching any GPU', async () => {
    packages.hidden.add('webgpu')
    const err = await useBackend('webgpu').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect((err as Error).message).toMatch(/^backend 'webgpu' cannot start: webgpu is not installed\. WebGPU needs the optional dependencies `webgpu@0\.6\.2` and `@tensorflow\/tfjs-backend-webgpu@4\.22\.0`/)
    expect((err as Error).message).toMatch(/pnpm add webgpu@0\.6\.2 @tensorflow\/tfjs-backend-webgpu@4\.22\.0/)
  })

  it('without either package: both are named', async () => {
    packages.hidden.add('webgpu').add('@tensorflow/tfjs-backend-webgpu')
    await expect(useBackend('webgpu')).rejects.toThrow(/webgpu and @tensorflow\/tfjs-backend-webgpu are not installed/)
  })

  it('the backend in use stays as it was', async () => {
    await useBackend('cpu')
    packages.hidden.add('@tensorflow/tfjs-backend-webgpu')
    await expect(useBackend('webgpu')).rejects.toThrow(/@tensorflow\/tfjs-backend-webgpu is not installed/)
    expect(tf.getBackend()).toBe('cpu')
    expect((globalThis as { navigator?: unknown }).navigator).toBeUndefined()
  })
})

describe('a native binding that is installed but does not load', () => {
  it("'tensorflow' reports each failure with the install help", async () => {
    packages.broken.add('@tensorflow/tfjs-node-gpu').add('@tensorflow/tfjs-node')
    const err = await useBackend('tensorflow').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect((err as Error).message).toMatch(/@tensorflow\/tfjs-node-gpu is installed but failed to load: .*; @tensorflow\/tfjs-node is installed but failed to load/)
    expect((err as Error).message).toMatch(/CUDA 11\.2 with cuDNN 8\.1/)
  })

  it("'auto' does not fall back past an installed native binding that fails: it is an error", async () => {
    await useBackend('cpu')
    packages.broken.add('@tensorflow/tfjs-node')
    await expect(useBackend('auto')).rejects.toThrow(/^backend 'tensorflow' cannot start: @tensorflow\/tfjs-node is installed but failed to load/)
    expect(tf.getBackend()).toBe('cpu')
  })
})
