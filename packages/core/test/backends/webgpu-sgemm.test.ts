import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { ConfigError, createRng, useBackend } from '../../src/index.js'
import { activeMatmulKernel, resolveDawnSettings, resolveMatmulKernel, sgemmCounts } from '../../src/backends/index.js'
import { mismatches } from './kernel-check.js'
import { findAdapter } from './webgpu-adapter.js'

const found = await findAdapter()
/** Dawn's null backend accepts every call but runs no shader: nothing to compare there. */
const runsShaders = found !== null && !resolveDawnSettings(found.options).flags.includes('backend=null')
const skipReason = !found ? 'no WebGPU adapter can be created here' : 'the adapter is Dawn backend=null, which runs no shaders'
const converge = (): Promise<unknown> => useBackend('webgpu', { webgpu: { ...found!.options, matmul: 'converge' } })

/** Float32 sums of up to 130 products in another order: relative 1e-4 (absolute below 1). */
const TOLERANCE = 1e-4

function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  const bad = mismatches(actual, expected, TOLERANCE)
  const shown = bad.slice(0, 5).map((i) => (i < 0 ? `length ${actual.length} vs ${expected.length}` : `[${i}] ${actual[i]} vs ${expected[i]}`))
  expect(bad, `${label}: ${bad.length} of ${expected.length} elements differ: ${shown.join(', ')}`).toEqual([])
}

function values(seed: string, shape: number[]): Float32Array {
  const rng = createRng(seed)
  return Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => rng.normal())
}

interface Problem {
  readonly name: string
  readonly aShape: number[]
  readonly bShape: number[]
  readonly transposeA: boolean
  readonly transposeB: boolean
}

/** tf.matMul on the active backend: its values, shape, and whether the tensor count stayed flat. */
async function matMul(p: Problem): Promise<{ values: Float32Array; shape: number[]; leaked: number }> {
  const before = tf.memory().numTensors
  const a = tf.tensor(values(`${p.name} a`, p.aShape), p.aShape)
  const b = tf.tensor(values(`${p.name} b`, p.bShape), p.bShape)
  const c = tf.matMul(a, b, p.transposeA, p.transposeB)
  const out = { values: Float32Array.from(await c.data()), shape: c.shape }
  tf.dispose([a, b, c])
  return { ...out, leaked: tf.memory().numTensors - before }
}

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [65, 33, 129],
  [130, 70, 66],
  // every dimension a multiple of 4: vec4 loads for A and B in every layout
  [68, 36, 132],
  // m and k multiples of 4, n not: vec4 loads for A always, for B only when transposed (along k)
  [64, 20, 130],
]
const LAYOUTS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]

/** Shapes of A and B (as stored) for an m×k by k×n product with the given batch dimensions. */
function shapes(m: number, k: number, n: number, tA: boolean, tB: boolean, outerA: number[] = [], outerB: number[] = []): Pick<Problem, 'aShape' | 'bShape'> {
  return { aShape: [...outerA, ...(tA ? [k, m] : [m, k])], bShape: [...outerB, ...(tB ? [n, k] : [k, n])] }
}

const PROBLEMS: Problem[] = []
for (const [m, k, n] of SIZES) {
  for (const [tA, tB] of LAYOUTS) {
    PROBLEMS.push({ name: `${m}×${k}×${n} ${tA ? 'Aᵀ' : 'A'}${tB ? 'Bᵀ' : 'B'}`, transposeA: tA, transposeB: tB, ...shapes(m, k, n, tA, tB) })
  }
}
for (const [tA, tB] of LAYOUTS) {
  const layout = `${tA ? 'Aᵀ' : 'A'}${tB ? 'Bᵀ' : 'B'}`
  PROBLEMS.push({ name: `batch 3 of 67×9×70 ${layout}`, transposeA: tA, transposeB: tB, ...shapes(67, 9, 70, tA, tB, [3], [3]) })
  PROBLEMS.push({ name: `batch [2,3] × shared B, 5×17×6 ${layout}`, transposeA: tA, transposeB: tB, ...shapes(5, 17, 6, tA, tB, [2, 3], []) })
  PROBLEMS.push({ name: `shared A [1] × batch 4, 6×4×65 ${layout}`, transposeA: tA, transposeB: tB, ...shapes(6, 4, 65, tA, tB, [1], [4]) })
  PROBLEMS.push({ name: `batch [2,3] × shared B, vec4-aligned 8×12×16 ${layout}`, transposeA: tA, transposeB: tB, ...shapes(8, 12, 16, tA, tB, [2, 3], []) })
}

describe.skipIf(!runsShaders)(`converge SGEMM for BatchMatMul on webgpu (${runsShaders ? JSON.stringify(found!.options) : skipReason})`, () => {
  for (const p of PROBLEMS) {
    it(`equals tf.matMul on the CPU backend: ${p.name}`, async () => {
      await useBackend('cpu')
      const cpu = await matMul(p)
      await converge()
      sgemmCounts(true)
      const gpu = await matMul(p)
      const [m, k, n] = [p.aShape.at(p.transposeA ? -1 : -2)!, p.aShape.at(p.transposeA ? -2 : -1)!, p.bShape.at(p.transposeB ? -2 : -1)!]
      const vec4A = Number((p.transposeA ? m : k) % 4 === 0)
      const vec4B = Number((p.transposeB ? k : n) % 4 === 0)
      expect(sgemmCounts()).toEqual({ sgemm: 1, tfjs: 0, vec4A, vec4B })
      expect(gpu.leaked).toBe(0)
      expect(gpu.shape).toEqual(cpu.shape)
      expectNear(gpu.values, cpu.values, p.name)
    })
  }

  it('leaves to tfjs’s kernel what it does not handle: int32, batches broadcast both ways', async () => {
    const int = async () => {
      const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32')
      const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2], 'int32')
      const c = tf.matMul(a, b)
      const out = { dtype: c.dtype, values: Array.from(await c.data()) }
      tf.dispose([a, b, c])
      return out
    }
    // tfjs's webgpu kernel itself rejects [2,1] × [1,3] batches (the CPU backend computes them): the same error either way
    const both: Problem = { name: 'both ways', transposeA: false, transposeB: true, ...shapes(4, 3, 5, false, true, [2, 1], [1, 3]) }
    const error = (): string => {
      try {
        tf.tidy(() => tf.matMul(tf.ones(both.aShape), tf.ones(both.bShape), both.transposeA, both.transposeB))
        return 'no error'
      } catch (e) {
        return (e as Error).message
      }
    }
    await useBackend('webgpu', { webgpu: found!.options })
    const tfjsError = error()
    await useBackend('cpu')
    const cpuInt = await int()
    await converge()
    sgemmCounts(true)
    expect(await int()).toEqual(cpuInt)
    expect(error()).toBe(tfjsError)
    expect(sgemmCounts()).toMatchObject({ sgemm: 0, tfjs: 2 })
  })

  it('gives the CPU backend’s gradients and step in a small training step through tf.matMul', async () => {
    const run = async () => {
      const x = tf.tensor(values('train x', [9, 5]), [9, 5])
      const target = tf.tensor(values('train y', [9, 3]), [9, 3])
      const w1 = tf.variable(tf.tensor(values('train w1', [5, 7]), [5, 7]))
      const w2 = tf.variable(tf.tensor(values('train w2', [3, 7]), [3, 7]))
      const optimizer = tf.train.sgd(0.1)
      const counts: number[] = []
      const losses: number[] = []
      let grads: Float32Array[] = []
      for (let step = 0; step < 3; step++) {
        const { value, grads: g } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(tf.matMul(tf.tanh(tf.matMul(x, w1)), w2, false, true), target))) as tf.Scalar)
        losses.push((await value.data())[0]!)
        grads = await Promise.all([g[w1.name]!, g[w2.name]!].map(async (t) => Float32Array.from(await t.data())))
        optimizer.applyGradients(g)
        tf.dispose([value, ...Object.values(g)])
        counts.push(tf.memory().numTensors)
      }
      const weights = await Promise.all([w1, w2].map(async (w) => Float32Array.from(await w.data())))
      tf.dispose([x, target, w1, w2])
      optimizer.dispose()
      return { losses, grads, weights, counts }
    }
    await useBackend('cpu')
    const cpu = await run()
    await converge()
    sgemmCounts(true)
    const gpu = await run()
    // per step: 2 forward; backward, both input gradients of the second matMul and w1's of the first (x needs none)
    expect(sgemmCounts()).toMatchObject({ sgemm: 15, tfjs: 0 })
    expect(new Set(gpu.counts).size, `tensor counts per step ${gpu.counts}`).toBe(1)
    expectNear(gpu.losses, cpu.losses, 'losses')
    gpu.grads.forEach((g, i) => expectNear(g, cpu.grads[i]!, `gradient ${i}`))
    gpu.weights.forEach((w, i) => expectNear(w, cpu.weights[i]!, `weights ${i}`))
  })

  it('runs tf.fused.matMul’s bias and activations as the CPU backend does; prelu and a full-matrix bias go to tfjs', async () => {
    type Fused = { activation: 'linear' | 'relu' | 'relu6' | 'elu' | 'leakyrelu' | 'sigmoid' | 'prelu'; bias: number[] | null; transposeB?: boolean }
    const cases: Fused[] = [
      { activation: 'linear', bias: [19] },
      { activation: 'relu', bias: [19] },
      { activation: 'relu6', bias: [1, 19], transposeB: true },
      { activation: 'elu', bias: [1] },
      { activation: 'leakyrelu', bias: null },
      { activation: 'sigmoid', bias: [19] },
      { activation: 'prelu', bias: [19] },
      { activation: 'relu', bias: [13, 19] },
    ]
    const run = async (c: Fused) => {
      const aShape = [13, 36]
      const bShape = c.transposeB ? [19, 36] : [36, 19]
      const a = tf.tensor(values('fused a', aShape), aShape)
      const b = tf.tensor(values('fused b', bShape), bShape)
      const bias = c.bias ? tf.tensor(values('fused bias', c.bias), c.bias) : undefined
      const preluActivationWeights = c.activation === 'prelu' ? tf.tensor(values('fused prelu', [19]), [19]) : undefined
      const y = tf.fused.matMul({ a, b, transposeB: c.transposeB, bias, activation: c.activation, preluActivationWeights, leakyreluAlpha: 0.3 })
      const out = Float32Array.from(await y.data())
      tf.dispose([a, b, y, ...(bias ? [bias] : []), ...(preluActivationWeights ? [preluActivationWeights] : [])])
      return out
    }
    for (const c of cases) {
      await useBackend('cpu')
      const cpu = await run(c)
      await converge()
      sgemmCounts(true)
      const before = tf.memory().numTensors
      const gpu = await run(c)
      expect(tf.memory().numTensors).toBe(before)
      // a bias of shape [13, 19] is one value per output element: not one the epilogue reads
      const handled = c.activation !== 'prelu' && !(c.bias?.length === 2 && c.bias[0] !== 1)
      expect(sgemmCounts(), JSON.stringify(c)).toMatchObject(handled ? { sgemm: 1, tfjs: 0 } : { sgemm: 0, tfjs: 1 })
      expectNear(gpu, cpu, JSON.stringify(c))
    }
  })

  it('trains a tf.layers model (dense relu, then dense) to the CPU backend’s weights, its matmuls all here', async () => {
    const run = async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [6], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
          tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }),
        ],
      })
      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' })
      const x = tf.tensor(values('layers x', [16, 6]), [16, 6])
      const y = tf.tensor(values('layers y', [16, 3]), [16, 3])
      const counts: number[] = []
      for (let epoch = 0; epoch < 3; epoch++) {
        await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 })
        counts.push(tf.memory().numTensors)
      }
      const weights = await Promise.all(model.getWeights().map(async (w) => Float32Array.from(await w.data())))
      const predicted = model.predict(x) as tf.Tensor
      const predictions = Float32Array.from(await predicted.data())
      tf.dispose([x, y, predicted])
      model.dispose()
      return { weights, predictions, counts }
    }
    await useBackend('cpu')
    const cpu = await run()
    await converge()
    sgemmCounts(true)
    const gpu = await run()
    const c = sgemmCounts()
    expect(c.tfjs).toBe(0)
    // 6 batches of two dense layers forward and their gradients backward
    expect(c.sgemm).toBeGreaterThanOrEqual(6 * 5)
    expect(new Set(gpu.counts).size, `tensor counts per epoch ${gpu.counts}`).toBe(1)
    gpu.weights.forEach((w, i) => expectNear(w, cpu.weights[i]!, `weight ${i}`))
    expectNear(gpu.predictions, cpu.predictions, 'predictions')
  })

  it('is off by default and after a start that does not ask for it; tfjs’s kernel is then the one registered', async () => {
    await useBackend('webgpu', { webgpu: found!.options })
    const tfjs = tf.getKernel('BatchMatMul', 'webgpu')!.kernelFunc
    expect(activeMatmulKernel()).toBe('tfjs')
    await converge()
    expect(activeMatmulKernel()).toBe('converge')
    expect(tf.getKernel('BatchMatMul', 'webgpu')!.kernelFunc).not.toBe(tfjs)
    await useBackend('webgpu', { webgpu: { ...found!.options, matmul: 'tfjs' } })
    expect(activeMatmulKernel()).toBe('tfjs')
    expect(tf.getKernel('BatchMatMul', 'webgpu')!.kernelFunc).toBe(tfjs)
    await converge()
    await useBackend('webgpu', { webgpu: found!.options })
    expect(tf.getKernel('BatchMatMul', 'webgpu')!.kernelFunc).toBe(tfjs)
  })
})

describe('webgpu matmul option', () => {
  it('comes from the option, then CONVERGE_WEBGPU_MATMUL, then is tfjs’s; a bad environment value is a ConfigError', () => {
    expect(resolveMatmulKernel({}, {})).toBe('tfjs')
    expect(resolveMatmulKernel({}, { CONVERGE_WEBGPU_MATMUL: 'converge' })).toBe('converge')
    expect(resolveMatmulKernel({ matmul: 'tfjs' }, { CONVERGE_WEBGPU_MATMUL: 'converge' })).toBe('tfjs')
    expect(resolveMatmulKernel({ matmul: 'converge' }, {})).toBe('converge')
    expect(() => resolveMatmulKernel({}, { CONVERGE_WEBGPU_MATMUL: 'fast' })).toThrow(ConfigError)
    expect(() => resolveMatmulKernel({}, { CONVERGE_WEBGPU_MATMUL: 'fast' })).toThrow(/CONVERGE_WEBGPU_MATMUL/)
  })

  it('an unknown kernel name is a ConfigError naming the option', async () => {
    await expect(useBackend('webgpu', { webgpu: { matmul: 'fast' as never } })).rejects.toThrow(ConfigError)
    await expect(useBackend('webgpu', { webgpu: { matmul: 'fast' as never } })).rejects.toThrow(/matmul/)
  })
})
