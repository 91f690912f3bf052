import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createRng, HOOK_NAMES, SeedStreams, silentLogger, train, useBackend, type Trick } from '@converge/core'
import type { DetrOutput, SetPredictionBatch } from '@converge/tasks'
import { groupDetr, groupedSelfAttention } from '../src/index.js'
import { tinyTask } from './helpers.js'

beforeAll(async () => {
  await useBackend('cpu')
})

async function instance() {
  const inst = await tinyTask().create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `gd-test/${n}` })
  const batch = (await inst.batch({ step: 0, sources: ['train'], rng: createRng('batch'), stream: 'main' })) as SetPredictionBatch
  return { inst, qs: inst.capabilities!.querySets!, batch, done: () => (batch.images.dispose(), inst.dispose()) }
}

describe('groupDetr', () => {
  it('rejects bad options', () => {
    expect(() => groupDetr({ groups: 0 })).toThrow(/groups/)
    expect(() => groupDetr({ groups: 2.5 })).toThrow(/groups/)
    expect(() => groupDetr({ group: 3 } as never)).toThrow()
  })

  it('isolation: in training, perturbing group 1’s queries leaves group 0’s outputs unchanged (and not without separation)', async () => {
    const { qs, batch, done } = await instance()
    const group0 = (separate: boolean, shift: number) =>
      tf.tidy(() => {
        const queries = tf.concat([qs.embedding, tf.add(qs.initQueries(5), shift)]) as tf.Tensor2D
        const out = qs.forward(batch, queries, separate ? { selfAttention: groupedSelfAttention(2) } : {}) as DetrOutput
        return out.layers.flatMap((l) => [...tf.slice(l.logits, [0, 0, 0], [-1, qs.queries, -1]).dataSync(), ...tf.slice(l.boxes, [0, 0, 0], [-1, qs.queries, -1]).dataSync()])
      })
    expect(group0(true, 0)).toEqual(group0(true, 3))
    expect(group0(false, 0)).not.toEqual(group0(false, 3))
    // and group 0 of a separated forward equals a forward of group 0 alone
    const alone = tf.tidy(() => Array.from((qs.forward(batch, qs.embedding) as DetrOutput).layers.at(-1)!.boxes.dataSync()))
    const grouped = tf.tidy(() => {
      const out = qs.forward(batch, tf.concat([qs.embedding, qs.initQueries(9)]) as tf.Tensor2D, { selfAttention: groupedSelfAttention(2) }) as DetrOutput
      return Array.from(tf.slice(out.layers.at(-1)!.boxes, [0, 0, 0], [-1, qs.queries, -1]).dataSync())
    })
    grouped.forEach((v, i) => expect(v).toBeCloseTo(alone[i]!, 5))
    done()
  })

  it('K identical groups give the K = 1 loss (normalised by N_gt·K), term by term', async () => {
    const t = groupDetr({ groups: 3 })
    const same: Trick = { name: 'same-queries', requires: ['querySets'], setup: (ctx) => void t.extraQueries()!.assign(tf.tile(ctx.capability('querySets').embedding, [2, 1])) }
    const grouped = await train({ task: tinyTask(), tricks: [t, same], maxSteps: 1, backend: 'cpu', seed: 4, log: silentLogger })
    const single = await train({ task: tinyTask(), maxSteps: 1, backend: 'cpu', seed: 4, log: silentLogger })
    expect(grouped.losses[0]).toBeCloseTo(single.losses[0]!, 4)
    for (const [k, v] of Object.entries(single.lossTerms)) expect(grouped.lossTerms[k]![0]).toBeCloseTo(v[0]!, 4)
    // K = 1 through the trick is plain DETR
    const k1 = await train({ task: tinyTask(), tricks: [groupDetr({ groups: 1 })], maxSteps: 1, backend: 'cpu', seed: 4, log: silentLogger })
    expect(k1.losses[0]).toBeCloseTo(single.losses[0]!, 5)
  })

  it('the objective matches each group per layer: K·N_gt pairs per layer inside each group’s slice', async () => {
    const { qs, batch, done } = await instance()
    const K = 3
    const seen: { layer: number; pairs: number; normalizer: number; slices: boolean }[] = []
    const spy = {
      ...qs,
      loss: (out: object, layer: number, b: typeof batch, matches: readonly (readonly { query: number; target: number }[])[], normalizer: number) => {
        const counts = qs.objectCounts(b)
        seen.push({
          layer,
          normalizer,
          pairs: matches.reduce((a, m) => a + m.length, 0),
          slices: matches.every((ms, i) => Array.from({ length: K }, (_, g) => ms.filter((m) => Math.floor(m.query / qs.queries) === g).length === counts[i]).every(Boolean)),
        })
        return qs.loss(out, layer, b, matches, normalizer)
      },
    }
    const t = groupDetr({ groups: K })
    const ctx = { capability: () => spy, rng: () => createRng('r'), variableName: (n: string) => `gd-spy/${n}`, addTrainableVariables: () => {} }
    await t.setup!(ctx as never)
    tf.tidy(() => void t.objective!(ctx as never, batch))
    const total = qs.objectCounts(batch).reduce((a, b) => a + b, 0)
    expect(seen).toEqual(Array.from({ length: qs.layers }, (_, layer) => ({ layer, pairs: K * total, normalizer: K * total, slices: true })))
    t.extraQueries()!.dispose()
    t.dispose!()
    done()
  })

  it('evaluation is the task’s own (group 0, Q queries, no grouping); other groups evaluate alone', async () => {
    const t = groupDetr({ groups: 3 })
    for (const hook of ['beforeEvaluate', 'afterEvaluate', 'evaluate'] as const) expect(HOOK_NAMES).toContain(hook), expect(t[hook]).toBeUndefined()
    const forwards: number[] = []
    const watch: Trick = {
      name: 'watch',
      requires: ['querySets'],
      setup: (ctx) => {
        const qs = ctx.capability('querySets')
        const forward = qs.forward
        ;(qs as { forward: typeof forward }).forward = (b, q, opt) => (forwards.push(q.shape[0]), forward(b, q, opt))
      },
    }
    let groupMetrics: number[] = []
    const end: Trick = { name: 'groups', end: async () => void (groupMetrics = await Promise.all([0, 1, 2].map(async (g) => (await t.evaluateGroup(g)).ap50!))) }
    const r = await train({ task: tinyTask(), tricks: [t, watch, end], maxSteps: 2, evalEvery: 2, backend: 'cpu', seed: 2, log: silentLogger })
    expect(forwards).toEqual([18, 18]) // training forwards only: K·Q
    expect(groupMetrics[0]).toBe(r.history.at(-1)!.metrics.ap50)
    expect(groupMetrics).toHaveLength(3)
  })

  it('keeps the tensor count flat across steps', async () => {
    const counts: number[] = []
    await train({ task: tinyTask(), tricks: [groupDetr({ groups: 4 }), { name: 'count', afterStep: () => void counts.push(tf.memory().numTensors) }], maxSteps: 5, backend: 'cpu', seed: 1, log: silentLogger })
    expect(new Set(counts.slice(1)).size).toBe(1)
  })
})
