import * as tf from '@tensorflow/tfjs'
import { createRng, SeedStreams, silentLogger, train, useBackend, type Trick } from '@converge/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { rlArithmetic, type RlArithmeticBatch, type RlArithmeticInstance, type RlArithmeticOptions } from '../src/index.js'

beforeAll(async () => {
  await useBackend('cpu')
})

const SMALL: RlArithmeticOptions = {
  sources: [
    { name: 'one', range: 1, role: 'saturated' }, // a single prompt 0 + 0 with a single allowed answer
    { name: 'add3', range: 3 },
    { name: 'coin', kind: 'coin', range: 2 },
  ],
  prompts: 6,
  groupSize: 4,
  hidden: 16,
}

async function instance(options: RlArithmeticOptions = SMALL, seed = 1): Promise<RlArithmeticInstance> {
  const def = rlArithmetic(options)
  let n = 0
  return (await def.create({ seed, streams: new SeedStreams(seed), log: silentLogger, variableName: (s) => `t${seed}-${++n}/${s}` })) as RlArithmeticInstance
}

function drawBatch(inst: RlArithmeticInstance, sources: string[], seed = 'data'): RlArithmeticBatch {
  return inst.batch({ step: 0, sources, rng: createRng(seed), stream: 'main' }) as RlArithmeticBatch
}

function disposeBatch(b: RlArithmeticBatch): void {
  tf.dispose([b.x, b.maskBias, b.responseOneHot, ...(b.oldLogProbs ? [b.oldLogProbs] : []), ...(b.refLogProbs ? [b.refLogProbs] : [])])
}

describe('rlArithmetic options', () => {
  it('names the problem with a bad mixture', () => {
    expect(() => rlArithmetic({ sources: [{ name: 'a', range: 2, role: 'saturated' }] })).toThrow(/at least one source must have role "learnable"/)
    expect(() => rlArithmetic({ sources: [{ name: 'a', range: 2 }, { name: 'a', range: 3 }] })).toThrow(/duplicate source name "a"/)
    expect(() => rlArithmetic({ sources: [{ name: 'a', range: 2 }, { name: 'c', kind: 'coin', range: 2, role: 'learnable' }] })).toThrow(/coin source cannot be "learnable"/)
    expect(() => rlArithmetic({ groupSize: 0 })).toThrow(/groupSize: got 0/)
  })
  it('declares its capabilities, target and rollouts per step', async () => {
    const def = rlArithmetic({ ...SMALL, targetAccuracy: 0.7 })
    expect(def.target).toEqual({ metric: 'accuracy', direction: 'max', value: 0.7 })
    expect(def.rolloutsPerStep).toBe(24)
    const inst = await instance({ ...SMALL, targetAccuracy: 0.7 })
    expect(Object.keys(inst.capabilities ?? {}).sort()).toEqual(['rewards', 'sources'])
    expect(inst.capabilities?.rewards).toEqual({ groupSize: 4, appeals: false })
    expect(inst.capabilities?.sources?.slots).toBe(6)
    inst.dispose()
  })
})

describe('rlArithmetic rollouts', () => {
  it('samples G responses per prompt, laid out prompt-major, with their sources', async () => {
    const inst = await instance()
    const b = drawBatch(inst, ['one', 'add3', 'add3', 'coin', 'one', 'add3'])
    expect(b.rollouts.groupSize).toBe(4)
    expect(b.rollouts.sources).toEqual(['one', 'add3', 'add3', 'coin', 'one', 'add3'].flatMap((s) => [s, s, s, s]))
    expect(b.responseOneHot.shape).toEqual([6, 4, 5])
    expect(Array.from(b.responseOneHot.sum(2).dataSync())).toEqual(new Array(24).fill(1))
    // the single prompt of "one" allows one answer, which is right
    expect(Array.from(b.rollouts.clean.slice(0, 4))).toEqual([1, 1, 1, 1])
    expect(Array.from(b.rollouts.observed)).toEqual(Array.from(b.rollouts.clean)) // clean verifier
    expect(b.rollouts.observed).not.toBe(b.rollouts.clean)
    expect(b.oldLogProbs).toBeNull()
    expect(b.refLogProbs).toBeNull()
    expect(b.rollouts.appeal).toBeUndefined()
    disposeBatch(b)
    inst.dispose()
  })
  it('scores add answers by exact match: clean reward = (sampled answer == a + b)', async () => {
    const inst = await instance({ ...SMALL, encoding: 'one-hot' })
    const b = drawBatch(inst, new Array(6).fill('add3'))
    const x = b.x.arraySync()
    const answers = b.responseOneHot.argMax(2).arraySync() as number[][]
    for (let p = 0; p < 6; p++) {
      const a = (x[p] as number[]).indexOf(1)
      const bb = (x[p] as number[]).indexOf(1, 3) - 3 // one-hot: [a (3) | b (3) | sources]
      for (let g = 0; g < 4; g++) expect(b.rollouts.clean[p * 4 + g]).toBe(answers[p]![g] === a + bb ? 1 : 0)
    }
    disposeBatch(b)
    inst.dispose()
  })
  it('rewards the coin source by a coin flip whatever the answer', async () => {
    const inst = await instance({ ...SMALL, prompts: 50 })
    const b = drawBatch(inst, new Array(50).fill('coin'))
    const mean = b.rollouts.clean.reduce((a, v) => a + v, 0) / 200
    expect(mean).toBeGreaterThan(0.35)
    expect(mean).toBeLessThan(0.65)
    disposeBatch(b)
    inst.dispose()
  })
  it('keeps observed (noisy) and clean rewards apart, and offers appeals that are counted', async () => {
    const inst = await instance({ ...SMALL, prompts: 40, verifier: { falsePositive: 0.3 }, appeal: { truePositiveRate: 1, falsePositiveRate: 0 } })
    const b = drawBatch(inst, new Array(40).fill('add3'))
    const { clean, observed } = b.rollouts
    let flipped = 0
    clean.forEach((c, i) => {
      if (c === 1) expect(observed[i]).toBe(1) // no false negatives configured
      else if (observed[i] === 1) flipped++
    })
    expect(flipped).toBeGreaterThan(0)
    const verdicts = b.rollouts.appeal!([0, 1, 2])
    expect(Array.from(verdicts)).toEqual(Array.from(clean.slice(0, 3)))
    expect((await inst.evaluate()).appealCalls).toBe(3)
    disposeBatch(b)
    inst.dispose()
  })
  it('applies a source’s own verifier to its responses, the task’s to the others', async () => {
    const sources = [
      { name: 'one', range: 1, role: 'saturated' as const, verifier: { falseNegative: 0.9 } }, // every answer is correct: misses show as 0
      { name: 'one-b', range: 1, role: 'saturated' as const },
      { name: 'add3', range: 3 },
    ]
    const inst = await instance({ ...SMALL, sources, prompts: 40, verifier: { falseNegative: 0.1 } })
    const b = drawBatch(inst, Array.from({ length: 40 }, (_, i) => (i % 2 ? 'one' : 'one-b')))
    const missed = (name: string) => {
      const idx = b.rollouts.sources.flatMap((s, i) => (s === name ? [i] : []))
      idx.forEach((i) => expect(b.rollouts.clean[i]).toBe(1))
      return idx.filter((i) => b.rollouts.observed[i] === 0).length / idx.length
    }
    expect(missed('one')).toBeGreaterThan(0.75) // 0.9 configured, 80 responses
    expect(missed('one-b')).toBeLessThan(0.25) // the task's 0.1
    disposeBatch(b)
    inst.dispose()
  })
  it('marks the hackable answer for the instance-dependent channel', async () => {
    const inst = await instance({ ...SMALL, prompts: 60, hackAnswer: 0, verifier: { hackAcceptance: 1 } })
    const b = drawBatch(inst, new Array(60).fill('add3'))
    const answers = b.responseOneHot.argMax(2).dataSync()
    b.rollouts.clean.forEach((c, i) => expect(b.rollouts.observed[i]).toBe(c === 1 || answers[i] === 0 ? 1 : 0))
    disposeBatch(b)
    inst.dispose()
  })
  it('keeps the sampling policy’s log-probs for several updates per batch, and the reference’s for KL', async () => {
    const inst = await instance({ ...SMALL, updatesPerBatch: 2, klCoef: 0.01 })
    const b = drawBatch(inst, new Array(6).fill('add3'))
    const out = inst.forward(b, {} as never)
    // before any update the policy is the sampling policy and the reference
    const now = out.logProbs.dataSync()
    Array.from(b.oldLogProbs!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(now[i] as number, 5))
    Array.from(b.refLogProbs!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(now[i] as number, 5))
    b.rollouts.advantages = inst.advantages!(b.rollouts)
    const parts = inst.loss(out, b, {} as never)
    expect(Object.keys(parts).sort()).toEqual(['kl', 'pg'])
    const [kl, pg] = [parts.kl as tf.Scalar, parts.pg as tf.Scalar]
    expect(kl.dataSync()[0]).toBeCloseTo(0, 6)
    tf.dispose([out.logProbs, out.rows, kl, pg])
    disposeBatch(b)
    inst.dispose()
  })
})

describe('rlArithmetic evaluation', () => {
  it('reports macro accuracy over learnable sources, per-source accuracy and rollouts', async () => {
    const inst = await instance()
    const m = await inst.evaluate()
    expect(Object.keys(m).sort()).toEqual(['accuracy', 'accuracy/add3', 'accuracy/one', 'rollouts'])
    expect(m['accuracy/one']).toBe(1)
    expect(m.accuracy).toBe(m['accuracy/add3'])
    expect(m.rollouts).toBe(0)
    inst.dispose()
  })
  it('gives exact learnabilities: 0 for a solved source and for the coin', async () => {
    const inst = await instance()
    const l = inst.sourceLearnability()
    expect(l.one).toBe(0)
    expect(l.coin).toBe(0)
    // uniform initial policy over 5 answers: 1 − 0.2⁴ − 0.8⁴
    expect(l.add3).toBeCloseTo(1 - 0.2 ** 4 - 0.8 ** 4, 5)
    inst.dispose()
  })
})

describe('rlArithmetic training', () => {
  const task = () => rlArithmetic({ sources: [{ name: 'add3', range: 3 }, { name: 'add4', range: 4 }], prompts: 8, groupSize: 8, hidden: 32, learningRate: 2e-2 })
  it('learns: accuracy rises from the uniform policy, rollouts are counted', async () => {
    const r = await train({ task: task(), maxSteps: 60, evalEvery: 60, backend: 'cpu', seed: 2 })
    expect(r.history[0]!.metrics.accuracy).toBeLessThan(0.3)
    expect(r.history.at(-1)!.metrics.accuracy).toBeGreaterThan(0.6)
    expect(r.history.at(-1)!.metrics.rollouts).toBe(60 * 64)
  })
  it('is deterministic for a seed and frees its tensors', async () => {
    await train({ task: task(), maxSteps: 1, backend: 'cpu' })
    const before = tf.memory().numTensors
    const counts: number[] = []
    const a = await train({ task: task(), maxSteps: 8, evalEvery: 4, backend: 'cpu', seed: 3, onStep: () => counts.push(tf.memory().numTensors) })
    expect(new Set(counts.slice(1)).size).toBe(1)
    expect(tf.memory().numTensors).toBe(before)
    const b = await train({ task: task(), maxSteps: 8, evalEvery: 4, backend: 'cpu', seed: 3 })
    expect(a.losses).toEqual(b.losses)
  })
  it('reuses one batch for updatesPerBatch updates; rewards hooks run once per batch', async () => {
    let rewardsCalls = 0
    const seen = new Set<unknown>()
    const spy: Trick = { name: 'spy', rewards: () => void rewardsCalls++, afterStep: (_c, r) => void seen.add(r.rollouts) }
    const def = rlArithmetic({ sources: [{ name: 'add3', range: 3 }], prompts: 4, groupSize: 4, updatesPerBatch: 3 })
    const r = await train({ task: def, tricks: [spy], maxSteps: 9, evalEvery: 9, backend: 'cpu' })
    expect(rewardsCalls).toBe(3)
    expect(seen.size).toBe(3)
    expect(r.history.at(-1)!.metrics.rollouts).toBe(3 * 16)
  })
})
