import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createOptimizer, useBackend } from '../src/index.js'
import { WasmAdamOptimizer } from '../src/backends/wasm-adam.js'

beforeAll(async () => {
  await useBackend('wasm')
})

describe('WASM Adam (one SIMD kernel call per variable)', () => {
  it("gives tfjs Adam's numbers to the bit over several steps, with moments, β powers and state alike, and leaves no tensor", () => {
    const shapes = [[3, 5], [64, 33], [7], [4, 2, 3], [1]]
    const init = (k: number) => shapes.map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 1 + 10 * k + i))
    const make = (tag: string) => init(0).map((t, i) => {
      const v = tf.variable(t, true, `adam-${tag}-${i}`)
      t.dispose()
      return v
    })
    const stock = make('stock')
    const fused = make('fused')
    const a = tf.train.adam(0.01, 0.9, 0.999, 1e-8)
    const b = new WasmAdamOptimizer(0.01, 0.9, 0.999, 1e-8)
    const before = tf.memory().numTensors
    for (let step = 1; step <= 6; step++) {
      const grads = tf.tidy(() => init(step).map((g) => tf.mul(g, step)))
      // the last variable gets no gradient on odd steps
      const named = (vars: tf.Variable[]) => Object.fromEntries(vars.flatMap((v, i) => (i === shapes.length - 1 && step % 2 === 1 ? [] : [[v.name, grads[i]!]]))) as Parameters<tf.AdamOptimizer['applyGradients']>[0]
      a.applyGradients(named(stock))
      b.applyGradients(named(fused))
      tf.dispose(grads)
    }
    expect(b.fusedSteps).toEqual({ fused: 6, fallback: 0 })
    expect(tf.memory().numTensors).toBe(before + 2 * 2 * shapes.length) // each optimizer's two moments per variable
    stock.forEach((v, i) => expect(Array.from(fused[i]!.dataSync())).toEqual(Array.from(v.dataSync())))
    const state = async (o: tf.Optimizer) => (await o.getWeights()).map((w) => Array.from(w.tensor.dataSync()))
    return Promise.all([state(a), state(b)]).then(([sa, sb]) => {
      expect(sb).toEqual(sa)
      a.dispose()
      b.dispose()
      tf.dispose([...stock, ...fused])
    })
  })

  it('gives a weight a new buffer, so a matmul that cached the old weights sees the new ones', () => {
    const w = tf.variable(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 4]), true, 'adam-matmul-w')
    const x = tf.tensor2d([0.5, -1, 2, 1, 1, 1], [2, 3])
    const o = new WasmAdamOptimizer(0.1)
    tf.matMul(x, w).dispose() // tfjs's WASM matmul caches an operator with w packed
    const g = tf.onesLike(w)
    o.applyGradients({ [w.name]: g })
    const fresh = w.clone()
    const [viaVariable, viaCopy] = [tf.matMul(x, w), tf.matMul(x, tf.add(fresh, 0))]
    expect(Array.from(viaVariable.dataSync())).toEqual(Array.from(viaCopy.dataSync()))
    tf.dispose([w, x, g, fresh, viaVariable, viaCopy])
    o.dispose()
  })

  it('is what createOptimizer builds for Adam on tuned WASM', () => {
    const o = createOptimizer({ name: 'adam', learningRate: 1e-3 })
    expect(o).toBeInstanceOf(WasmAdamOptimizer)
    expect(o.getClassName()).toBe('Adam')
    o.dispose()
  })
})
