import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/index.js'
import { resolveDawnSettings } from '../../src/backends/index.js'

describe('Dawn settings: options, then CONVERGE_DAWN_FLAGS / CONVERGE_WEBGPU_FEATURE_LEVEL, then defaults', () => {
  it('defaults to Vulkan in core mode, leaving EGL alone', () => {
    expect(resolveDawnSettings({}, {})).toEqual({ flags: ['backend=vulkan'], featureLevel: 'core', eglPlatform: null })
  })
  it('the OpenGL backend defaults to compatibility mode and a surfaceless EGL platform', () => {
    expect(resolveDawnSettings({}, { CONVERGE_DAWN_FLAGS: 'backend=opengl' })).toEqual({ flags: ['backend=opengl'], featureLevel: 'compatibility', eglPlatform: 'surfaceless' })
    expect(resolveDawnSettings({ dawnFlags: ['backend=opengles'] }, {})).toMatchObject({ featureLevel: 'compatibility', eglPlatform: 'surfaceless' })
  })
  it('an EGL_PLATFORM already set is kept', () => {
    expect(resolveDawnSettings({}, { CONVERGE_DAWN_FLAGS: 'backend=opengl', EGL_PLATFORM: 'x11' }).eglPlatform).toBeNull()
  })
  it('flags are separated by spaces (a flag value may hold commas)', () => {
    const env = { CONVERGE_DAWN_FLAGS: '  backend=vulkan   enable-dawn-features=allow_unsafe_apis,use_dxc ' }
    expect(resolveDawnSettings({}, env).flags).toEqual(['backend=vulkan', 'enable-dawn-features=allow_unsafe_apis,use_dxc'])
  })
  it('options win over the environment, the environment over the defaults', () => {
    const env = { CONVERGE_DAWN_FLAGS: 'backend=opengl', CONVERGE_WEBGPU_FEATURE_LEVEL: 'core' }
    expect(resolveDawnSettings({}, env)).toMatchObject({ flags: ['backend=opengl'], featureLevel: 'core' })
    expect(resolveDawnSettings({ dawnFlags: ['backend=vulkan'], featureLevel: 'compatibility' }, env)).toEqual({
      flags: ['backend=vulkan'],
      featureLevel: 'compatibility',
      eglPlatform: null,
    })
  })
  it('bad values are ConfigErrors naming the option or the variable', () => {
    expect(() => resolveDawnSettings({}, { CONVERGE_WEBGPU_FEATURE_LEVEL: 'full' })).toThrow(ConfigError)
    expect(() => resolveDawnSettings({}, { CONVERGE_WEBGPU_FEATURE_LEVEL: 'full' })).toThrow(/webgpu environment: CONVERGE_WEBGPU_FEATURE_LEVEL: got "full"/)
    expect(() => resolveDawnSettings({ dawnFlags: [] }, {})).toThrow(/webgpu options: dawnFlags: got \[\]/)
    expect(() => resolveDawnSettings({ dawnFlags: ['=x'] }, {})).toThrow(/dawnFlags\.0: got "=x"; expected a Dawn flag/)
  })
})
