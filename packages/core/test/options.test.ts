import { describe, expect, it } from 'vitest'
import { ConfigError, gradClip, lrWarmup, syntheticClassification, train, createOptimizer } from '../src/index.js'
import { smallTask } from './helpers.js'

const task = smallTask()

describe('train options are validated before any work, naming field, value and what is allowed', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['missing maxSteps', {}, /maxSteps: got undefined/],
    ['negative maxSteps', { maxSteps: -3 }, /maxSteps: got -3; .*>0/],
    ['fractional maxSteps', { maxSteps: 2.5 }, /maxSteps: got 2\.5; .*expected int/i],
    ['zero evalEvery', { maxSteps: 1, evalEvery: 0 }, /evalEvery: got 0/],
    ['negative seed', { maxSteps: 1, seed: -1 }, /seed: got -1/],
    ['unknown backend', { maxSteps: 1, backend: 'tpu' }, /backend: got "tpu"; .*"auto".*"tensorflow".*"wasm".*"cpu".*"webgpu"/],
    ['bad target direction', { maxSteps: 1, target: { direction: 'up' } }, /target\.direction: got "up"; .*"min".*"max"/],
    ['unknown target key', { maxSteps: 1, target: { metrc: 'x' } }, /target: unknown option "metrc" \(did you mean "metric"\?\); allowed: metric, direction, value/],
    ['unknown top-level option', { maxStep: 1 }, /unknown option "maxStep" \(did you mean "maxSteps"\?\)/],
    ['NaN shown as NaN', { maxSteps: Number.NaN }, /maxSteps: got NaN/],
    ['Infinity shown as Infinity', { maxSteps: 1, evalEvery: Infinity }, /evalEvery: got Infinity/],
    ['bad optimizer name', { maxSteps: 1, optimizer: { name: 'lion', learningRate: 1 } }, /optimizer.name: got "lion"/],
    ['bad optimizer learning rate', { maxSteps: 1, optimizer: { name: 'adam', learningRate: 0 } }, /optimizer.learningRate: got 0/],
    ['bad log level', { maxSteps: 1, log: 'loud' }, /log: got "loud"/],
    ['bad trace', { maxSteps: 1, trace: 'yes' }, /trace: got "yes"/],
    ['bad onStep', { maxSteps: 1, onStep: 3 }, /onStep: got 3; expected a function/],
    ['bad tunedWasm', { maxSteps: 1, tunedWasm: 'no' }, /tunedWasm: got "no"/],
  ]
  for (const [label, extra, pattern] of cases) {
    it(label, async () => {
      const err = await train({ task, ...extra } as never).catch((e) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect(err.message).toMatch(/^train options: /)
      expect(err.message).toMatch(pattern)
    })
  }
  it('a missing or malformed task', async () => {
    await expect(train({ maxSteps: 1 } as never)).rejects.toThrow(/task: got undefined; expected a task definition/)
    await expect(train({ task: { name: 'x' }, maxSteps: 1 } as never)).rejects.toThrow(/task: got \{"name":"x"\}/)
  })
})

describe('trick and task options', () => {
  it('lrWarmup', () => {
    expect(() => lrWarmup({ steps: 0 })).toThrow(/lrWarmup options: steps: got 0/)
    expect(() => lrWarmup({ steps: 5, startFactor: 2 })).toThrow(/startFactor: got 2/)
    expect(() => lrWarmup({ steps: 5, stpes: 1 } as never)).toThrow(ConfigError)
  })
  it('gradClip', () => {
    expect(() => gradClip({ maxNorm: -1 })).toThrow(/gradClip options: maxNorm: got -1/)
    expect(() => gradClip({} as never)).toThrow(/maxNorm: got undefined/)
  })
  it('syntheticClassification', () => {
    expect(() => syntheticClassification({ classes: 1 })).toThrow(/classes: got 1/)
    expect(() => syntheticClassification({ labelNoise: 1.5 })).toThrow(/labelNoise: got 1.5/)
    expect(() => syntheticClassification({ targetAccuracy: 0 })).toThrow(/targetAccuracy: got 0/)
  })
  it('createOptimizer', () => {
    expect(() => createOptimizer({ name: 'momentum', learningRate: 0.1, momentum: 1 })).toThrow(/momentum: got 1/)
  })
})
