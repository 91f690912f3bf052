import type { WebgpuOptions } from '../../src/backends/index.js'

export interface FoundAdapter {
  readonly options: WebgpuOptions
  readonly env: Record<string, string>
}

/**
 * The Dawn settings under which an adapter exists here, or null: CONVERGE_DAWN_FLAGS when set,
 * else Vulkan (a real GPU), else Dawn's OpenGL backend (Mesa llvmpipe on a machine without one).
 */
export async function findAdapter(): Promise<FoundAdapter | null> {
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
    const { resolveDawnSettings } = await import('../../src/backends/index.js')
    const s = resolveDawnSettings(candidate.options)
    if (s.eglPlatform) process.env.EGL_PLATFORM = s.eglPlatform
    const adapter = await dawn.create([...s.flags]).requestAdapter({ featureLevel: s.featureLevel }).catch(() => null)
    if (adapter) return candidate
  }
  return null
}
