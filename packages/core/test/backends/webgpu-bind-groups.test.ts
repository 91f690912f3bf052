import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { useBackend } from '../../src/index.js'
import { WebgpuAdamOptimizer, bindGroupCacheStats, countWebgpuCalls, installBindGroupCache, releaseWebgpu, resolveDawnSettings } from '../../src/backends/index.js'
import { findAdapter } from './webgpu-adapter.js'

/** A stand-in device: counts the bind groups and layouts it really makes. */
class FakeDevice {
  made = 0
  layoutsMade = 0
  createBindGroup(descriptor: unknown) {
    this.made++
    return { descriptor, n: this.made }
  }
  createComputePipeline() {
    return { getBindGroupLayout: (i: number) => ({ i, n: ++this.layoutsMade }) }
  }
}

describe('bind-group cache (no GPU needed)', () => {
  it('returns the group made for the same layout, buffers, offsets and sizes; anything different makes a new one', () => {
    const device = new FakeDevice()
    const stats = installBindGroupCache(device)
    const d = device as unknown as FakeDevice
    const pipeline = d.createComputePipeline()
    const layout = pipeline.getBindGroupLayout(0)
    expect(pipeline.getBindGroupLayout(0)).toBe(layout) // stable, so usable as a key
    const [a, b, u] = [{}, {}, {}]
    const group = (entries: { binding: number; resource: unknown }[]) => d.createBindGroup({ layout, entries })
    const g1 = group([{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: u, offset: 0, size: 16 } }])
    expect(group([{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: u, offset: 0, size: 16 } }])).toBe(g1)
    expect(group([{ binding: 0, resource: { buffer: b } }, { binding: 1, resource: { buffer: u, offset: 0, size: 16 } }])).not.toBe(g1)
    expect(group([{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: u, offset: 0, size: 32 } }])).not.toBe(g1)
    expect(group([{ binding: 0, resource: { buffer: a } }, { binding: 1, resource: { buffer: u, offset: 256, size: 16 } }])).not.toBe(g1)
    expect(d.createBindGroup({ layout: d.createComputePipeline().getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: a } }] })).not.toBe(g1)
    // A texture view (no buffer) is never cached.
    const view = { texture: true }
    expect(group([{ binding: 0, resource: view }])).not.toBe(group([{ binding: 0, resource: view }]))
    expect(stats).toEqual({ hits: 1, misses: 5, passedThrough: 2 })
    expect(installBindGroupCache(device)).toBe(stats) // once per device
    expect(bindGroupCacheStats(device)).toBe(stats)
  })

  it('keeps at most `capacity` groups, dropping the least recently used', () => {
    const device = new FakeDevice()
    installBindGroupCache(device, 2)
    const d = device as unknown as FakeDevice
    const layout = d.createComputePipeline().getBindGroupLayout(0)
    const buffers = [{}, {}, {}]
    const group = (i: number) => d.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer: buffers[i] } }] })
    const [g0] = [group(0), group(1)]
    expect(group(0)).toBe(g0) // 0 is now the most recent
    group(2) // evicts 1
    expect(group(0)).toBe(g0)
    expect(device.made).toBe(3)
    group(1)
    expect(device.made).toBe(4)
  })
})

const found = await findAdapter()
const runsShaders = found !== null && !resolveDawnSettings(found.options).flags.includes('backend=null')
const skipReason = !found ? 'no WebGPU adapter can be created here' : 'the adapter is Dawn backend=null, which runs no shaders'

describe.skipIf(!runsShaders)(`bind-group cache on webgpu (${runsShaders ? JSON.stringify(found!.options) : skipReason})`, () => {
  /** 50 training steps of a small MLP; the losses, and the bind groups made in each of the last 5 steps. */
  async function run(): Promise<{ losses: number[]; lastMade: number[] }> {
    await useBackend('webgpu', { webgpu: found!.options })
    const w1 = tf.variable(tf.tensor2d(Array.from({ length: 48 }, (_, i) => Math.sin(i)), [6, 8]))
    const w2 = tf.variable(tf.tensor2d(Array.from({ length: 24 }, (_, i) => Math.cos(i)), [8, 3]))
    const x = tf.tensor2d(Array.from({ length: 60 }, (_, i) => Math.sin(3 * i)), [10, 6])
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 10 }, (_, i) => i % 3), 'int32'), 3)
    const opt = new WebgpuAdamOptimizer(0.05)
    const counter = countWebgpuCalls()
    const losses: number[] = []
    const lastMade: number[] = []
    try {
      for (let s = 0; s < 50; s++) {
        counter.reset()
        const { value, grads } = opt.computeGradients(() => tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.relu(tf.matMul(x, w1)), w2)) as tf.Scalar, [w1, w2])
        losses.push((await value.data())[0]!)
        opt.applyGradients(grads)
        tf.dispose([value, ...Object.values(grads)])
        if (s >= 45) lastMade.push(counter.counts.bindGroups)
      }
    } finally {
      counter.stop()
      opt.dispose()
      tf.dispose([w1, w2, x, y])
    }
    return { losses, lastMade }
  }

  it('a training loop reaches steps that make no bind group at all, with the same losses bit for bit as without the cache', async () => {
    releaseWebgpu()
    const cached = await run()
    releaseWebgpu()
    process.env.CONVERGE_WEBGPU_BIND_GROUP_CACHE = '0'
    let uncached: Awaited<ReturnType<typeof run>>
    try {
      uncached = await run()
    } finally {
      delete process.env.CONVERGE_WEBGPU_BIND_GROUP_CACHE
      releaseWebgpu()
    }
    // tfjs's buffer pool hands buffers out in an order that settles after a few dozen steps (~30 here).
    expect(cached.lastMade).toEqual([0, 0, 0, 0, 0])
    expect(Math.min(...uncached.lastMade)).toBeGreaterThan(5) // one per dispatch without the cache
    expect(cached.losses).toEqual(uncached.losses)
    expect(cached.losses[49]).toBeLessThan(cached.losses[0]!)
  })
})
