import { describe, expect, it } from 'vitest'
import { describeAdapter } from '../../src/backends/webgpu.js'

const settings = { flags: ['backend=vulkan'], featureLevel: 'core' as const }
const adapter = (info: Record<string, unknown>, isFallbackAdapter?: boolean) => ({ info, ...(isFallbackAdapter === undefined ? {} : { isFallbackAdapter }) })

describe('adapter description: a software adapter is a fallback, never a GPU', () => {
  it('a GPU (as Dawn reports an NVIDIA H200 through Vulkan)', () => {
    expect(describeAdapter(adapter({ vendor: 'nvidia', architecture: '', device: 'nvidia-h200', description: 'NVIDIA: 580.159.04' }), settings)).toEqual({
      vendor: 'nvidia',
      architecture: '',
      device: 'nvidia-h200',
      description: 'NVIDIA: 580.159.04',
      fallback: false,
      dawnFlags: ['backend=vulkan'],
      featureLevel: 'core',
    })
  })
  it('Mesa llvmpipe through OpenGL, which does not set isFallbackAdapter', () => {
    const info = adapter({ vendor: '', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6', isFallbackAdapter: false })
    expect(describeAdapter(info, settings).fallback).toBe(true)
  })
  it('lavapipe, SwiftShader, and anything flagged as a fallback adapter (on the adapter or in its info)', () => {
    expect(describeAdapter(adapter({ device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'Mesa 25.0.7' }), settings).fallback).toBe(true)
    expect(describeAdapter(adapter({ vendor: 'google', device: 'swiftshader device' }), settings).fallback).toBe(true)
    expect(describeAdapter(adapter({ vendor: 'x', device: 'y' }, true), settings).fallback).toBe(true)
    expect(describeAdapter(adapter({ vendor: 'x', device: 'y', isFallbackAdapter: true }), settings).fallback).toBe(true)
  })
  it('missing or non-string fields read as empty strings', () => {
    expect(describeAdapter({}, settings)).toMatchObject({ vendor: '', architecture: '', device: '', description: '', fallback: false })
    expect(describeAdapter(adapter({ vendor: 7 }), settings).vendor).toBe('')
  })
})
