import { describe, expect, it } from 'vitest'
import { ConfigError, ContractError, createRng, train, type RolloutBatch, type Trick } from '@converge/core'
import { groupCentred, groupZScores } from '@converge/core/rl'
import { rlArithmetic } from '@converge/tasks'
import { noisyReward } from '../src/index.js'
import { SMALL } from './fixtures.js'

/** Random 0/1 rewards in groups of G, some all-equal. */
function rollouts(n = 64, G = 8, seed = 'r', appeal?: RolloutBatch['appeal']): RolloutBatch {
  const rng = createRng(seed)
  const observed = Float32Array.from({ length: n }, (_, i) => (Math.floor(i / G) % 4 === 0 ? 1 : rng.next() < 0.4 ? 1 : 0))
  return { groupSize: G, sources: Array(n).fill('s'), observed, clean: Float32Array.from(observed), ...(appeal ? { appeal } : {}) }
}

const ctx = { rng: (p: string) => createRng(p) } as never
const call = (t: Trick, r: RolloutBatch) => (t.rewards!(ctx, r) ?? r).advantages!

describe('advantages from corrected rewards', () => {
  it('backward correction under the group z-score is a no-op (GRPO normalisation divides the affine map out)', () => {
    const r = rollouts()
    const a = call(noisyReward({ correction: 'backward', rho0: 0.2, rho1: 0.3, normalize: 'group-std' }), rollouts())
    const plain = groupZScores(r.observed, 8)
    a.forEach((v, i) => expect(v).toBeCloseTo(plain[i]!, 4))
    const f = call(noisyReward({ correction: 'forward', rho1: 0.3, normalize: 'group-std' }), rollouts())
    f.forEach((v, i) => expect(v).toBeCloseTo(plain[i]!, 4))
  })
  it('backward with a fixed scale is the centred observed reward divided by (1 − ρ0 − ρ1)', () => {
    const r = rollouts()
    const a = call(noisyReward({ correction: 'backward', rho0: 0.1, rho1: 0.3, scale: 2 }), rollouts())
    const centred = groupCentred(r.observed, 8, 2)
    a.forEach((v, i) => expect(v).toBeCloseTo(centred[i]! / 0.6, 5))
  })
  it('forward is the observed reward minus (1 − ρ1), no group baseline', () => {
    const r = rollouts()
    const a = call(noisyReward({ correction: 'forward', rho1: 0.25 }), rollouts())
    a.forEach((v, i) => expect(v).toBeCloseTo(r.observed[i]! - 0.75, 6))
  })
  it('none is the centred observed reward: the uncorrected arm through the same pipeline', () => {
    const r = rollouts()
    expect(Array.from(call(noisyReward({ correction: 'none' }), rollouts()))).toEqual(Array.from(groupCentred(r.observed, 8, 1)))
  })
  it('ema-std scales by the spread of the observed rewards, not of the corrected ones', () => {
    const t = noisyReward({ correction: 'backward', rho0: 0, rho1: 0.5 - 1e-9, normalize: 'ema-std', emaDecay: 0 })
    const none = noisyReward({ correction: 'none', normalize: 'ema-std', emaDecay: 0 })
    const a = call(t, rollouts())
    const b = call(none, rollouts())
    a.forEach((v, i) => expect(v).toBeCloseTo(2 * b[i]!, 4)) // backward keeps its 1/(1 − ρ1) = 2 factor
  })
})

describe('appeals', () => {
  const perfectAppeal = (clean: Float32Array) => (idx: readonly number[]) => Float32Array.from(idx, (i) => clean[i]!)
  it('estimate ρ1 online and use it; flipped negatives become 1', () => {
    const t = noisyReward({ correction: 'forward', rho1: 'appeals', appeals: { rate: 1 }, flipOverturned: true })
    t.setup!(null as never)
    const r = rollouts(64, 8, 'x')
    const clean = Float32Array.from(r.observed)
    const observed = Float32Array.from(clean)
    let fn = 0
    for (let i = 0; i < observed.length; i++) if (clean[i] === 1 && i % 3 === 0) (observed[i] = 0), fn++
    const batch: RolloutBatch = { ...r, observed, clean, appeal: perfectAppeal(clean) }
    call(t, batch)
    const positives = clean.reduce((s, x) => s + x, 0)
    expect(t.stats.rho1Trace[0]).toBeCloseTo(fn / positives, 6) // this step's appeals already inform its estimate
    expect(t.stats.appealCalls).toBe(observed.filter((x) => x === 0).length)
    expect(t.stats.overturned).toBe(fn)
    expect(Array.from(batch.observed)).toEqual(Array.from(clean))
    call(t, { ...rollouts(64, 8, 'x'), observed: Float32Array.from(observed), clean, appeal: perfectAppeal(clean) })
    expect(t.stats.rho1Trace[1]).toBeCloseTo(fn / positives, 6) // same evidence again: same ratio
  })
  it('need a task whose rollouts can be appealed', () => {
    const t = noisyReward({ correction: 'forward', rho1: 'appeals' })
    expect(() => call(t, rollouts())).toThrow(ContractError)
  })
})

describe('per-source rates', () => {
  /** Groups alternate between sources a and b. */
  const twoSources = (r: RolloutBatch): RolloutBatch => ({ ...r, sources: r.sources.map((_, i) => (Math.floor(i / r.groupSize) % 2 ? 'b' : 'a')) })
  it('backward scales each group by its own source’s 1/(1 − ρ0 − ρ1)', () => {
    const r = twoSources(rollouts())
    const a = call(noisyReward({ correction: 'backward', rho0: { a: 0, b: 0.1 }, rho1: { a: 0.1, b: 0.4 } }), twoSources(rollouts()))
    const centred = groupCentred(r.observed, 8, 1)
    a.forEach((v, i) => expect(v).toBeCloseTo(centred[i]! / (r.sources[i] === 'a' ? 0.9 : 0.5), 5))
  })
  it('name a source that has no rate', () => {
    expect(() => call(noisyReward({ correction: 'backward', rho1: { a: 0.1 } }), twoSources(rollouts()))).toThrow(/rho1 has no rate for source "b" \(rates given for: a\)/)
  })
  it('are estimated per source from appeals', () => {
    const t = noisyReward({ correction: 'backward', rho1: 'appeals', perSource: true, appeals: { rate: 1, emaDecay: 0 } })
    t.setup!(null as never)
    const r = twoSources(rollouts(64, 8, 'y'))
    const clean = Float32Array.from(r.observed)
    const observed = Float32Array.from(clean)
    // Source a: every correct answer seen; source b: one correct answer in three missed.
    let kept = 0
    let missed = 0
    clean.forEach((c, i) => {
      if (c !== 1 || r.sources[i] !== 'b') return
      if ((kept + missed) % 3 === 2) (observed[i] = 0), missed++
      else kept++
    })
    call(t, { ...r, observed, clean, appeal: (idx) => Float32Array.from(idx, (i) => clean[i]!) })
    expect(t.stats.rho1BySource.a).toEqual([0])
    expect(t.stats.rho1BySource.b![0]).toBeCloseTo(missed / (kept + missed), 6)
    const pooled = noisyReward({ correction: 'backward', rho1: 'appeals', appeals: { rate: 1, emaDecay: 0 } })
    pooled.setup!(null as never)
    call(pooled, { ...r, observed: Float32Array.from(observed), clean, appeal: (idx) => Float32Array.from(idx, (i) => clean[i]!) })
    const positives = clean.reduce((n, c) => n + c, 0)
    expect(pooled.stats.rho1Trace[0]).toBeCloseTo(missed / positives, 6) // one estimate for the batch: between the two
  })
  it('perSource needs estimated rates', () => {
    expect(() => noisyReward({ correction: 'backward', rho1: 0.2, perSource: true })).toThrow(/perSource applies to rho1: 'appeals' only/)
  })
})

describe('options', () => {
  it('are validated, naming field, value and what is allowed', () => {
    expect(() => noisyReward({ correction: 'backward' })).toThrow(/rho1: got undefined; correction "backward" needs rho1/)
    expect(() => noisyReward({ correction: 'forward', rho1: 0.5 })).toThrow(/rho1: got 0.5/)
    expect(() => noisyReward({ correction: 'backward', rho0: 0.6, rho1: 0.1 })).toThrow(/rho0: got 0.6/)
    expect(() => noisyReward({ correction: 'sideways' } as never)).toThrow(/correction: got "sideways"/)
    expect(() => noisyReward({ correction: 'none', normalize: 'batch' } as never)).toThrow(ConfigError)
    expect(() => noisyReward({ correction: 'forward', rho1: 'appeals', appeals: { rate: 2 } })).toThrow(/appeals.rate: got 2/)
  })
  it('require a task with rewards', async () => {
    const { syntheticClassification } = await import('@converge/core')
    await expect(train({ task: syntheticClassification(), tricks: [noisyReward({ correction: 'none' })], maxSteps: 1 })).rejects.toThrow(/requires capability "rewards"/)
  })
})

describe('in training', () => {
  it('backward correction with the z-score trains exactly like no correction (up to the epsilon)', async () => {
    const task = rlArithmetic({ ...SMALL, advantage: { normalize: 'group-std' } })
    const plain = await train({ task: task as never, maxSteps: 10, backend: 'cpu', seed: 2 })
    const corrected = await train({ task: task as never, tricks: [noisyReward({ correction: 'backward', rho0: 0, rho1: 0.3, normalize: 'group-std' })], maxSteps: 10, backend: 'cpu', seed: 2 })
    corrected.losses.forEach((l, i) => expect(l).toBeCloseTo(plain.losses[i]!, 4))
  })
})
