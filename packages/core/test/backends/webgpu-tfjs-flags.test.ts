import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { ConfigError, useBackend } from '../../src/index.js'
import { DEFAULT_WEBGPU_TFJS_FLAGS } from '../../src/backends/index.js'
import { findAdapter } from './webgpu-adapter.js'

const found = await findAdapter()

describe.skipIf(!found)(`tfjs webgpu flags set by useBackend('webgpu') (${found ? JSON.stringify(found.options) : 'no WebGPU adapter can be created here'})`, () => {
  const BATCH = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'

  it('a caller’s tfjsFlags win over the defaults, and the next start without them restores the defaults', async () => {
    await useBackend('webgpu', { webgpu: { ...found!.options, tfjsFlags: { [BATCH]: 7, WEBGPU_CPU_FORWARD: false } } })
    expect(tf.env().get(BATCH)).toBe(7)
    expect(tf.env().get('WEBGPU_CPU_FORWARD')).toBe(false)
    await useBackend('webgpu', { webgpu: found!.options })
    // tfjs's own default (15, true) unless core sets one
    expect(tf.env().get(BATCH)).toBe(DEFAULT_WEBGPU_TFJS_FLAGS[BATCH] ?? 15)
    expect(tf.env().get('WEBGPU_CPU_FORWARD')).toBe(DEFAULT_WEBGPU_TFJS_FLAGS.WEBGPU_CPU_FORWARD ?? true)
  })

  it('every default is a flag tfjs knows and is in force after a start', async () => {
    await useBackend('webgpu', { webgpu: found!.options })
    for (const [name, value] of Object.entries(DEFAULT_WEBGPU_TFJS_FLAGS)) expect(tf.env().get(name), name).toBe(value)
  })

  it('an unknown flag or a bad value is a ConfigError naming it', async () => {
    await expect(useBackend('webgpu', { webgpu: { ...found!.options, tfjsFlags: { WEBGPU_NO_SUCH_FLAG: 1 } } })).rejects.toThrow(/tfjsFlags.WEBGPU_NO_SUCH_FLAG/)
    await expect(useBackend('webgpu', { webgpu: { ...found!.options, tfjsFlags: { DEBUG: true } } })).rejects.toThrow(ConfigError)
    await expect(useBackend('webgpu', { webgpu: { ...found!.options, tfjsFlags: { [BATCH]: 'ten' as never } } })).rejects.toThrow(ConfigError)
  })
})
