import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, routeParameters, type ParamInfo } from '../src/index.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const roles = (params: readonly ParamInfo[], opts = {}) => Object.fromEntries(routeParameters(params, opts).map((r) => [r.name, r.role === 'adam' ? r.reason : `${r.rows}x${r.cols}`]))

describe('parameter routing', () => {
  it('routes hidden matrices and keeps embeddings, norms, heads and biases elementwise by name', () => {
    const params = [
      { name: 'embedding', shape: [32, 64] },
      { name: 'positions', shape: [16, 64] },
      { name: 'layer1/attn_norm/gain', shape: [64] },
      { name: 'layer1/attn/query/kernel', shape: [64, 64] },
      { name: 'layer1/attn/output/kernel', shape: [64, 64] },
      { name: 'layer1/attention/output/kernel', shape: [64, 64] },
      { name: 'layer1/mlp/up/kernel', shape: [64, 176] },
      { name: 'block1/up/bias', shape: [176] },
      { name: 'head/kernel', shape: [64, 32] },
      { name: 'output/kernel', shape: [64, 32] },
    ]
    expect(roles(params)).toEqual({
      embedding: 'always-adam',
      positions: 'always-adam', // a position table is an embedding
      'layer1/attn_norm/gain': 'vector',
      'layer1/attn/query/kernel': '64x64',
      'layer1/attn/output/kernel': '64x64', // the attention's output projection is a hidden matrix
      'layer1/attention/output/kernel': '64x64',
      'layer1/mlp/up/kernel': '64x176',
      'block1/up/bias': 'vector',
      'head/kernel': 'always-adam',
      'output/kernel': 'always-adam',
    })
    // vectors on request, include pattern, conv kernels flattened to [kh·kw·in, out]
    expect(roles([{ name: 'b', shape: [5] }], { vectors: true })).toEqual({ b: '1x5' })
    expect(roles([{ name: 'x/kernel', shape: [4, 4] }], { include: 'nothing' })).toEqual({ 'x/kernel': 'not-included' })
    expect(roles([{ name: 'conv/kernel', shape: [3, 3, 8, 16] }])).toEqual({ 'conv/kernel': 'higher-rank' })
    expect(roles([{ name: 'conv/kernel', shape: [3, 3, 8, 16] }], { flattenKernels: true })).toEqual({ 'conv/kernel': '72x16' })
    expect(() => routeParameters([], { alwaysAdam: '(' })).toThrow(ConfigError)
  })

  it('finds a tf.sequential model’s output layer as the head by shape when no name marks one', () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }), tf.layers.dense({ units: 16, activation: 'relu' }), tf.layers.dense({ units: 3 })],
    })
    const params = model.trainableWeights.map((w) => ({ name: w.name, shape: w.shape as number[] }))
    const routes = routeParameters(params, { headByShape: true })
    const kernels = routes.filter((r) => r.name.endsWith('kernel'))
    expect(kernels.map((r) => r.role)).toEqual(['matrix', 'matrix', 'adam'])
    expect(kernels[2]!.name).toMatch(/^dense_Dense\d+\/kernel$/)
    expect(kernels[2]).toMatchObject({ role: 'adam', reason: 'head-by-shape', shape: [16, 3] })
    // without the option the same kernel would be routed as a matrix
    expect(routeParameters(params).filter((r) => r.role === 'matrix')).toHaveLength(3)
    // a name that marks a head switches the shape rule off
    expect(roles([{ name: 'a/kernel', shape: [4, 4] }, { name: 'logits/kernel', shape: [4, 2] }, { name: 'z/kernel', shape: [2, 2] }], { headByShape: true })).toEqual({
      'a/kernel': '4x4',
      'logits/kernel': 'always-adam',
      'z/kernel': '2x2',
    })
    model.dispose()
  })
})
