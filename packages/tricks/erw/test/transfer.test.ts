import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { costWeightedSteps, SeedStreams, silentLogger, train, type Trick } from '@converge/core'
import { erw, repa, type RepresentationAlignmentTrick } from '../src/index.js'
import { teacher, tinyTask } from './helpers.js'

const local = (name: string) => name.replace(/^run\d+\/(task\/)?/, '')
const grab = (vars: readonly tf.Variable[]) => Object.fromEntries(vars.map((v) => [local(v.name), Array.from(v.dataSync())]))

describe('ERW warm-up and transfer', () => {
  it('warms embedders, the first L blocks and the projector; main training starts from exactly those weights with a fresh optimizer', async () => {
    const snaps: Record<string, Record<string, number[]>> = {}
    let warmGrads: string[] = []
    let t: RepresentationAlignmentTrick | null = null
    const probe: Trick = {
      name: 'probe',
      setup: (ctx) => void (snaps.init = grab(ctx.variables)),
      afterBackward: (ctx, grads) => void (ctx.phase.name === 'erw-warmup' && (warmGrads = Object.keys(grads).map(local))),
      beforeStep: (ctx) => void (ctx.phase.name === 'main' && ctx.phase.step === 0 && (snaps.mainStart = grab([...ctx.variables, ...t!.projectorVariables()!]))),
      afterStep: (ctx, r) => {
        if (r.phase.name === 'erw-warmup' && r.phase.step === 5) snaps.warm = grab([...ctx.variables, ...t!.projectorVariables()!])
        if (r.phase.name === 'main' && r.phase.step === 1) snaps.main1 = grab(ctx.variables)
      },
    }
    t = erw({ teacher, warmupSteps: 5, warmupDepth: 1, alignDepth: 2, halfLife: 10 })
    const r = await train({ task: tinyTask(), tricks: [probe, t], maxSteps: 7, evalEvery: 100, backend: 'cpu', seed: 3 })
    const { init, warm, mainStart, main1 } = snaps as Record<string, Record<string, number[]>>

    // only the warm-up's variables get gradients: embedders, block 1, projector
    const blocksWithGrads = new Set(warmGrads.filter((n) => n.startsWith('block')).map((n) => n.split('/')[0]))
    expect([...blocksWithGrads]).toEqual(['block1'])
    expect(warmGrads.some((n) => n.startsWith('final'))).toBe(false)
    expect(warmGrads.filter((n) => n.includes('projector'))).toHaveLength(6)
    expect(warmGrads).toEqual(expect.arrayContaining(['patch/w', 'time/w1', 'class/table']))

    // the warm-up changed block 1 and the embedders, left blocks 2–3 and the final layer at init
    expect(warm!['block1/qkv/w']).not.toEqual(init!['block1/qkv/w'])
    expect(warm!['patch/w']).not.toEqual(init!['patch/w'])
    for (const name of Object.keys(init!).filter((n) => n.startsWith('block2') || n.startsWith('block3') || n.startsWith('final'))) expect(warm![name]).toEqual(init![name])
    expect(init!['final/w']!.every((v) => v === 0)).toBe(true)

    // transfer: main training starts from the warm-up's end state, projector included
    expect(mainStart).toEqual(warm)

    // fresh Adam at the transition: its first update moves each weight by ≈ lr (1e-2)
    const moved = main1!['block1/qkv/w']!.map((v, i) => Math.abs(v - mainStart!['block1/qkv/w']![i]!))
    const atLr = moved.filter((m) => Math.abs(m - 1e-2) < 1e-4).length
    expect(atLr / moved.length).toBeGreaterThan(0.9)

    // warm-up steps count, raw and cost-weighted (1 of 3 blocks)
    expect(r.phases.map((p) => [p.name, p.startStep, p.endStep, +p.cost.toFixed(4)])).toEqual([['erw-warmup', 0, 5, 0.3333], ['main', 5, 7, 1]])
    expect(costWeightedSteps(r.phases, 7)).toBeCloseTo(5 / 3 + 2, 6)
    expect(r.reportedTerms).toEqual(['align/raw'])
    for (const v of r.lossTerms['align/raw']!) {
      expect(v).toBeGreaterThanOrEqual(-1)
      expect(v).toBeLessThanOrEqual(1)
    }
    // warm-up loss = 0.5 · raw alignment; main steps carry the λ-weighted term
    expect(r.lossTerms['align/warmup']![0]).toBeCloseTo(0.5 * r.lossTerms['align/raw']![0]!, 5)
    expect(r.lossTerms.align![5]).toBeCloseTo(1 * r.lossTerms['align/raw']![5]!, 5)
    expect(r.lossTerms.align![6]).toBeCloseTo(2 ** (-1 / 10) * r.lossTerms['align/raw']![6]!, 5)
  })

  it("the task's clean forward of depth L uses only the embedders and blocks 1..L", async () => {
    const inst = await tinyTask().create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (n) => `fwd/${n}` })
    const gen = inst.capabilities!.generative!
    const batch = await inst.batch({ step: 0, sources: ['train', 'train', 'train', 'train'], rng: new SeedStreams(2).stream('d'), stream: 'main' })
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(gen.encodeClean(batch, 1))) as tf.Scalar, [...inst.variables])
    const names = Object.keys(grads).map((n) => n.replace('fwd/', ''))
    expect(new Set(names.filter((n) => n.startsWith('block')).map((n) => n.split('/')[0]))).toEqual(new Set(['block1']))
    expect(names.some((n) => n.startsWith('final'))).toBe(false)
    expect(names.sort()).toEqual(gen.variablesTo(1).map((v) => v.name.replace('fwd/', '')).sort())
    tf.dispose([value, ...Object.values(grads)])
    tf.dispose(Object.values(batch).filter((v): v is tf.Tensor => v instanceof tf.Tensor))
    inst.dispose()
  })

  it('REPA runs no phase and applies a constant weight', async () => {
    const r = await train({ task: tinyTask(), tricks: [repa({ teacher, alignDepth: 1 })], maxSteps: 3, evalEvery: 100, backend: 'cpu', seed: 3 })
    expect(r.phases.map((p) => p.name)).toEqual(['main'])
    for (let i = 0; i < 3; i++) expect(r.lossTerms.align![i]).toBeCloseTo(0.5 * r.lossTerms['align/raw']![i]!, 5)
  })

  it('rejects a teacher whose token grid differs from the denoiser, and bad depths', async () => {
    const wrong = () => ({ tokens: { tokens: 4, width: 8 }, encode: () => tf.zeros([1, 4, 8]) as tf.Tensor3D, dispose: () => undefined })
    await expect(train({ task: tinyTask(), tricks: [repa({ teacher: wrong, alignDepth: 1 })], maxSteps: 1, backend: 'cpu' })).rejects.toThrow(/4 tokens but the denoiser has 16/)
    await expect(train({ task: tinyTask(), tricks: [erw({ teacher, warmupSteps: 1, warmupDepth: 4, alignDepth: 1, halfLife: 1 })], maxSteps: 2, backend: 'cpu' })).rejects.toThrow(/warmup.depth 4 exceeds/)
    expect(() => erw({ teacher, warmupSteps: 1, warmupDepth: 1, halfLife: 1, lambda: 2 } as never)).toThrow(/unknown key\(s\) lambda/)
  })
})
