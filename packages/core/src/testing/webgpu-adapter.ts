import type { WebgpuOptions } from '../backends/index.js'

export interface FoundAdapter {
  readonly options: WebgpuOptions
  readonly env: Record<string, string>
}

/**
 * For tests of WebGPU kernels: the Dawn settings under which an adapter exists here, or null: CONVERGE_DAWN_FLAGS when set,
 * else Vulkan (a real GPU), else Dawn's OpenGL backend (Mesa llvmpipe on a machine without one).
 */
export async function findWebgpuAdapter(): Promise<FoundAdapter | null> {
  let dawn: { create(flags: string[]): { requestAdapter(o: object): Promise<unknown> } }
  try {
    dawn = await import('webgpu')
  } catch {
    return null
  }
  const candidates: FoundAdapter[] = process.env.CONVERGE_DAWN_FLAGS
    ? [{ options: {}, env: {} }]
    : [
        { options: { dawnFlags: ['backend=vulkan'] }, env: { CONVERGE_DAWN_FLAGS: 'backend=vulkan' } },
        { options: { dawnFlags: ['backend=opengl'] }, env: { CONVERGE_DAWN_FLAGS: 'backend=opengl' } },
      ]
  for (const candidate of candidates) {
    const { resolveDawnSettings } = await import('../backends/index.js')
    const s = resolveDawnSettings(candidate.options)
    if (s.eglPlatform) process.env.EGL_PLATFORM = s.eglPlatform
    const adapter = await dawn.create([...s.flags]).requestAdapter({ featureLevel: s.featureLevel }).catch(() => null)
    if (adapter) return candidate
  }
  return null
}
