import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, createRng, train } from '@converge/core'
import { charLm } from '@converge/tasks'
import { FrugalOptimizer, frugal, galoreLike, plainAdam } from '../src/index.js'
import { cloneVariables, makeVariables, maxAbsDiff, randomGrads, step } from './helpers.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('option errors name the field, the value and what is allowed', () => {
  const cases: [string, Parameters<typeof frugal>[0], RegExp][] = [
    ['density above 1', { density: 1.5 }, /density: got 1\.5; .*<=1/],
    ['an unknown subspace', { subspace: 'qr' as never }, /subspace: got "qr"; .*svd.*random.*columns.*randk.*blocks/],
    ['an unknown state-free rule', { stateFree: 'adam' as never }, /stateFree: got "adam"; .*signsgd.*sgd.*none/],
    ['density 0 without a state-free rule', { density: 0, stateFree: 'none' }, /stateFree: got "none"; density 0 with stateFree 'none' would never update/],
    ['blocks without reset', { subspace: 'blocks', resetOnRefresh: false }, /resetOnRefresh: got false; subspace 'blocks' always starts/],
    ['a broken pattern', { keepAdam: '(' }, /keepAdam: got "\("; keepAdam must be a valid regular expression/],
    ['a non-integer refresh gap', { updateGap: 2.5 }, /updateGap: got 2\.5/],
    ['an unknown option', { rho: 0.25 } as never, /frugal options: .*rho/],
  ]
  for (const [label, options, message] of cases) {
    it(label, () => {
      expect(() => frugal(options)).toThrow(ConfigError)
      expect(() => frugal(options)).toThrow(message)
    })
  }

  it('the optimizer config is validated too (a learning rate is required)', () => {
    expect(() => new FrugalOptimizer({} as never)).toThrow(/FrugalOptimizer config: learningRate: got undefined/)
  })

  it('blocks at a density that activates no tensor is an error, not a silent ρ = 0', () => {
    const vars = makeVariables({ 'a/kernel': [3, 3], 'b/kernel': [3, 3], 'c/kernel': [3, 3] })
    expect(() => new FrugalOptimizer({ learningRate: 0.1, subspace: 'blocks', density: 0.1 }, vars)).toThrow(/activates round\(0\.1·3\) = 0 of the 3/)
    tf.dispose(vars)
  })

  it('documents the defaults: FRUGAL with signSGD, ρ = 0.25, T = 200, reset on refresh', () => {
    expect(frugal().options).toMatchObject({ density: 0.25, subspace: 'svd', stateFree: 'signsgd', updateGap: 200, resetOnRefresh: true, projLrScale: 1, stateFreeLrScale: 1, weightDecay: 0 })
    expect(galoreLike().options).toMatchObject({ subspace: 'svd', stateFree: 'none', resetOnRefresh: false, projLrScale: 0.25 })
  })
})

/** What a model loader does: look the class up in tfjs's registry and call its fromConfig. */
function revive(config: tf.serialization.ConfigDict): FrugalOptimizer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap['FrugalOptimizer']
  if (!entry) throw new Error('FrugalOptimizer is not registered')
  const [cls, fromConfig] = entry
  return fromConfig(cls, config) as unknown as FrugalOptimizer
}

describe('serialization', () => {
  it('is registered with tfjs and round-trips its config', () => {
    expect(FrugalOptimizer.className).toBe('FrugalOptimizer')
    const registered = tf.serialization.SerializationMap.getMap().classNameMap['FrugalOptimizer']
    expect(registered?.[0]).toBe(FrugalOptimizer)
    const opt = new FrugalOptimizer({ learningRate: 0.02, subspace: 'columns', density: 0.3, updateGap: 7, seed: 9, weightDecay: 0.1 })
    opt.setLearningRate(0.005)
    const config = opt.getConfig()
    const copy = revive(config)
    expect(copy).toBeInstanceOf(FrugalOptimizer)
    expect(copy.getConfig()).toEqual(config)
    expect(copy.learningRate).toBe(0.005)
    opt.dispose()
    copy.dispose()
  })

  for (const subspace of ['svd', 'random', 'columns', 'randk', 'blocks'] as const) {
    it(`${subspace}: getWeights → setWeights on a fresh optimizer continues bit-identically`, async () => {
      const shapes = { 'a/kernel': [8, 5], 'b/kernel': [5, 9], 'c/kernel': [6, 6], 'a/bias': [5], 'output/kernel': [9, 3] }
      const vars = makeVariables(shapes)
      const config = { learningRate: 0.01, subspace, density: 0.4, updateGap: 3, seed: 4, blockOrder: 'descending' as const }
      const original = new FrugalOptimizer(config, vars)
      const rng = createRng('ser')
      const grads = Array.from({ length: 12 }, () => randomGrads(vars, rng))
      for (let s = 0; s < 5; s++) step(original, vars, grads[s]!)
      // checkpoint: model weights and optimizer state after 5 steps (one refresh pending at step 6)
      const saved = (await original.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }))
      const model = cloneVariables(vars)
      for (let s = 5; s < 12; s++) step(original, vars, grads[s]!)

      for (let i = 0; i < vars.length; i++) vars[i]!.assign(model[i]!)
      const restored = revive(original.getConfig())
      await restored.setWeights(saved)
      expect(restored.iterations).toBe(5)
      for (let s = 5; s < 12; s++) step(restored, vars, grads[s]!)
      // rerun the original path from scratch for the reference
      const fresh = makeVariables(shapes)
      const again = new FrugalOptimizer(config, fresh)
      for (let s = 0; s < 12; s++) step(again, fresh, grads[s]!)
      for (let i = 0; i < vars.length; i++) expect(maxAbsDiff(vars[i]!, fresh[i]!)).toBe(0)
      expect(restored.optimizerStateBytes().total).toBe(again.optimizerStateBytes().total)
      tf.dispose(saved.map((w) => w.tensor))
      for (const o of [original, restored, again]) o.dispose()
      tf.dispose([...vars, ...model, ...fresh])
    })
  }
})

describe('the trick', () => {
  const task = () => charLm({ vocab: 8, contextLength: 4, embeddingDim: 4, trainChars: 2048, evalChars: 256, batchSize: 16 })

  it('supplies a FrugalOptimizer at the task’s learning rate and reports its state bytes', async () => {
    const t = frugal({ updateGap: 5 })
    const lrs: number[] = []
    await train({ task: task(), tricks: [t], maxSteps: 6, backend: 'cpu', seed: 2, onStep: () => lrs.push(t.optimizerInstance!.learningRate) })
    expect(t.optimizerInstance).toBeInstanceOf(FrugalOptimizer)
    expect(lrs).toEqual(Array(6).fill(3e-3))
    const bytes = t.optimizerStateBytes()!
    expect(bytes.total).toBeGreaterThan(0)
    expect(t.optimizerInstance!.refreshCount).toBe(2)
  })

  it('a learningRate override scales the loop’s rate chain instead of being overwritten by it', async () => {
    const t = frugal({ learningRate: 0.01 })
    const lrs: number[] = []
    await train({ task: task(), tricks: [t], maxSteps: 3, backend: 'cpu', onStep: () => lrs.push(t.optimizerInstance!.learningRate) })
    expect(lrs.map((x) => +x.toFixed(12))).toEqual([0.01, 0.01, 0.01])
  })

  it('draws its seed from the run’s stream: same run seed, same numbers; another seed, other subspaces', async () => {
    const losses = async (seed: number) => (await train({ task: task(), tricks: [frugal({ subspace: 'columns', updateGap: 2 })], maxSteps: 6, backend: 'cpu', seed })).losses
    const a = await losses(3)
    expect(await losses(3)).toEqual(a)
    const withFixedSeed = async (seed: number) =>
      (await train({ task: task(), tricks: [frugal({ subspace: 'columns', updateGap: 2, seed: 42 })], maxSteps: 6, backend: 'cpu', seed })).losses
    expect(await withFixedSeed(3)).not.toEqual(a)
  })

  it('plainAdam is exactly the task’s Adam, with its state size', async () => {
    const t = plainAdam()
    const withTrick = await train({ task: task(), tricks: [t], maxSteps: 5, backend: 'cpu', seed: 1 })
    const without = await train({ task: task(), maxSteps: 5, backend: 'cpu', seed: 1 })
    expect(withTrick.losses).toEqual(without.losses)
    expect(t.optimizerStateBytes()!.total).toBeGreaterThan(0)
  })
})
