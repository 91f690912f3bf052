import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, createRng } from '@converge/core'
import { adamw, muon, MUON_DEFAULT_LR, OrthogonalOptimizer, root } from '../src/index.js'
import { makeVariables, randomGrads, step, values } from './helpers.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('option errors name the field, the value and what is allowed', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['a percentile above 1', () => root({ clipPercentile: 1.5 }), /root options: clipPercentile: got 1\.5/],
    ['an unknown scale', () => muon({ scale: 'spectral' as never }), /scale: got "spectral"; .*keller.*moonlight.*none/],
    ['an unknown coefficient set', () => muon({ coefficients: 'polar' as never }), /coefficients: got "polar"; .*muon.*root/],
    ['momentum 1', () => muon({ momentum: 1 }), /momentum: got 1/],
    ['a broken pattern', () => muon({ alwaysAdam: '(' }), /alwaysAdam: got "\("; alwaysAdam must be a valid regular expression/],
    ['an unknown option', () => muon({ lr: 0.02 } as never), /muon options: .*lr/],
    ['no learning rate for the optimizer', () => new OrthogonalOptimizer({} as never), /OrthogonalOptimizer config: learningRate: got undefined/],
  ]
  for (const [label, make, message] of cases) {
    it(label, () => {
      expect(make).toThrow(ConfigError)
      expect(make).toThrow(message)
    })
  }

  it('documents the defaults of the three factories', () => {
    expect(muon().options).toMatchObject({ matrixRule: 'orthogonal', momentum: 0.95, nesterov: true, nsSteps: 5, coefficients: 'muon', scale: 'keller', clipPercentile: null, weightDecay: 0 })
    expect(root().options).toMatchObject({ coefficients: 'root', clipPercentile: 0.9, scale: 'moonlight' })
    expect(root({ scale: 'keller' }).options.scale).toBe('keller')
    expect(adamw().options.matrixRule).toBe('adamw')
    expect(MUON_DEFAULT_LR).toBe(0.02)
  })
})

describe('serialization and checkpoints', () => {
  it('is registered with tfjs serialization and rebuilds from its config', () => {
    const opt = new OrthogonalOptimizer({ learningRate: 0.03, adamLearningRate: 0.001, clipPercentile: 0.8, coefficients: 'root' })
    const cls = tf.serialization.SerializationMap.getMap().classNameMap['OrthogonalOptimizer']
    expect(cls).toBeDefined()
    const copy = cls![1](cls![0], opt.getConfig()) as OrthogonalOptimizer
    expect(copy).toBeInstanceOf(OrthogonalOptimizer)
    expect(copy.getConfig()).toEqual(opt.getConfig())
    expect(copy.adamLearningRate).toBe(0.001)
  })

  for (const [label, config] of [
    ['muon', { learningRate: 0.02, adamLearningRate: 0.003, weightDecay: 0.1 }],
    ['root', { learningRate: 0.02, coefficients: 'root', clipPercentile: 0.9 }],
    ['adamw + clip', { learningRate: 0.01, matrixRule: 'adamw', clipPercentile: 0.9 }],
  ] as const) {
    it(`${label}: getWeights → setWeights into a fresh optimizer continues bit for bit`, async () => {
      const vars = makeVariables({ 'a/kernel': [6, 9], embedding: [5, 6], 'a/bias': [9] })
      const rng = createRng(`ckpt-${label}`)
      const grads = Array.from({ length: 4 }, () => randomGrads(vars, rng))
      const opt = new OrthogonalOptimizer(config, vars)
      step(opt, vars, grads[0]!)
      step(opt, vars, grads[1]!)
      const saved = (await opt.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }))
      const params = vars.map((v) => v.clone())
      step(opt, vars, grads[2]!)
      step(opt, vars, grads[3]!)
      const expected = vars.map(values)
      vars.forEach((v, i) => v.assign(params[i]!))
      const fresh = new OrthogonalOptimizer(config, vars)
      await fresh.setWeights(saved)
      expect(fresh.iterations).toBe(2)
      step(fresh, vars, grads[2]!)
      step(fresh, vars, grads[3]!)
      vars.forEach((v, i) => expect(values(v)).toEqual(expected[i]))
      opt.dispose()
      fresh.dispose()
      tf.dispose([...vars, ...params, ...saved.map((s) => s.tensor)])
    })
  }
})
