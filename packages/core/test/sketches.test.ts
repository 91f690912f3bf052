import { afterAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { costWeightedSteps, train, type Trick } from '../src/index.js'
import { trickContractSuite } from '../src/testing/index.js'
import { sketchErw } from './fixtures/sketches/sketch-erw.js'
import { groupedSelfAttention, sketchGroupDetr } from './fixtures/sketches/sketch-group-detr.js'
import { toyDiffusion } from './fixtures/sketches/toy-diffusion.js'
import { toySetPrediction } from './fixtures/sketches/toy-set-prediction.js'
import { SeedStreams, silentLogger } from '../src/index.js'

// A frozen "teacher": a fixed linear map of the clean tokens to 4 features.
const teacherWeights = tf.tensor2d([0.5, -1, 0.3, 0.8, 1, 0.2, -0.6, 0.4], [2, 4])
const teacher = (x0: tf.Tensor) => tf.reshape(tf.matMul(tf.reshape(x0, [-1, 2]), teacherWeights), [x0.shape[0] as number, 4, 4]) as tf.Tensor3D
afterAll(() => teacherWeights.dispose())

const erw = () => sketchErw({ warmupSteps: 4, depth: 1, alignAt: 2, teacher })

describe('ERW sketch on the contract', () => {
  trickContractSuite('sketch-erw', { makeTrick: erw, task: () => toyDiffusion(3), steps: 12, trainableSteps: 60, backend: 'cpu' })

  it('warms up only embedders, the first block and the projector, then continues from exactly those weights with a fresh optimizer', async () => {
    const snapshots: Record<string, Record<string, number[]>> = {}
    const grab = (vars: readonly tf.Variable[]) => Object.fromEntries(vars.map((v) => [v.name.split('/').slice(1).join('/'), Array.from(v.dataSync())]))
    let warmGrads: string[] = []
    const probe: Trick = {
      name: 'probe',
      setup: (ctx) => void (snapshots.init = grab(ctx.variables)),
      afterBackward: (ctx, grads) => void (ctx.phase.name === 'warmup' && (warmGrads = Object.keys(grads).map((n) => n.split('/').at(-1)!))),
      afterStep: (ctx, r) => {
        if (r.phase.name === 'warmup' && r.phase.step === 4) snapshots.warm = grab(ctx.variables)
        if (r.phase.name === 'main' && r.phase.step === 1) snapshots.main1 = grab(ctx.variables)
      },
    }
    const t = erw()
    const r = await train({ task: toyDiffusion(3), tricks: [probe, t], maxSteps: 6, backend: 'cpu', seed: 3 })
    expect(warmGrads.sort()).toEqual(['block1', 'embed', 'projector', 'time']) // later blocks and the final layer get none
    const { init, warm, main1 } = snapshots as Record<string, Record<string, number[]>>
    expect(warm!.block1).not.toEqual(init!.block1)
    expect(warm!.block2).toEqual(init!.block2)
    expect(warm!.block3).toEqual(init!.block3)
    expect(warm!.final).toEqual(init!.final)
    // fresh Adam at the transition: the first main update moves every weight with a gradient by lr (1e-2)
    const moved = main1!.block1!.map((v, i) => Math.abs(v - warm!.block1![i]!))
    for (const m of moved) expect(m).toBeCloseTo(1e-2, 4)
    expect(r.phases.map((p) => [p.name, p.startStep, p.endStep, +p.cost.toFixed(3)])).toEqual([['warmup', 0, 4, 0.333], ['main', 4, 6, 1]])
    expect(costWeightedSteps(r.phases, 6)).toBeCloseTo(4 / 3 + 2, 6)
    expect(r.reportedTerms).toEqual(['align/raw'])
    const raw = r.lossTerms['align/raw']!.slice(4)
    for (const v of raw) expect(v).toBeGreaterThanOrEqual(-1)
  })
})

describe('Group DETR sketch on the contract', () => {
  trickContractSuite('sketch-group-detr', { makeTrick: () => sketchGroupDetr(3), task: toySetPrediction, steps: 8, trainableSteps: 60, backend: 'cpu' })

  it('separated self-attention isolates groups; without it, group 1 leaks into group 0', async () => {
    const inst = await toySetPrediction().create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `iso/${n}` })
    const qs = inst.capabilities!.querySets!
    const batch = await inst.batch({ step: 0, sources: ['train'], rng: new SeedStreams(2).stream('d'), stream: 'main' })
    const group0 = (separate: boolean, shift: number) =>
      tf.tidy(() => {
        const queries = tf.concat([qs.embedding, tf.add(qs.initQueries(5), shift)]) as tf.Tensor2D
        const out = qs.forward(batch, queries, separate ? { selfAttention: groupedSelfAttention(2) } : {}) as { layers: { position: tf.Tensor2D }[] }
        return Array.from(tf.slice(out.layers.at(-1)!.position, [0, 0], [-1, qs.queries]).dataSync())
      })
    expect(group0(true, 0)).toEqual(group0(true, 3))
    expect(group0(false, 0)).not.toEqual(group0(false, 3))
    tf.dispose(Object.values(batch).filter((v): v is tf.Tensor => v instanceof tf.Tensor))
    inst.dispose()
  })

  it('K identical groups give the K = 1 loss (normalised by N·K)', async () => {
    const t = sketchGroupDetr(3)
    const same: Trick = {
      name: 'same-queries',
      requires: ['querySets'],
      setup: (ctx) => void t.extraQueries()!.assign(tf.tile(ctx.capability('querySets').embedding, [2, 1])),
    }
    const grouped = await train({ task: toySetPrediction(), tricks: [t, same], maxSteps: 1, backend: 'cpu', seed: 4 })
    const single = await train({ task: toySetPrediction(), maxSteps: 1, backend: 'cpu', seed: 4 })
    expect(grouped.losses[0]).toBeCloseTo(single.losses[0]!, 5)
  })
})
