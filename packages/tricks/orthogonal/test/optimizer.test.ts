import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRng, routeParameters } from '@converge/core'
import { DEFAULT_ALWAYS_ADAM } from '@converge/core'
import { absPercentile, clipAtPercentile, OrthogonalOptimizer, shapeScale } from '../src/index.js'
import { gradMap, localName, makeVariables, maxAbsDiff, randomGrads, step, values } from './helpers.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const close = (a: readonly number[], b: readonly number[], tol = 1e-6) => {
  expect(a.length).toBe(b.length)
  a.forEach((x, i) => expect(Math.abs(x - b[i]!)).toBeLessThan(tol))
}

describe('routing (the core’s routeParameters with this package’s always-AdamW names)', () => {
  it('sends a transformer’s hidden matrices, the attention output included, to Muon and the rest to AdamW', () => {
    const names: [string, number[]][] = [
      ['run1/embedding', [32, 64]],
      ['run1/positions', [16, 64]],
      ['run1/layer1/attn_norm/gain', [64]],
      ['run1/layer1/attn/query/kernel', [64, 64]],
      ['run1/layer1/attn/output/kernel', [64, 64]],
      ['run1/layer1/mlp/up/kernel', [64, 176]],
      ['run1/layer1/mlp/down/kernel', [176, 64]],
      ['run1/final_norm/gain', [64]],
      ['run1/head/kernel', [64, 32]],
      ['run1/output/kernel', [64, 32]],
      ['run1/block1/up/bias', [176]],
      ['run1/conv2/kernel', [3, 3, 4, 8]],
    ]
    const routes = routeParameters(
      names.map(([name, shape]) => ({ name, shape })),
      { alwaysAdam: DEFAULT_ALWAYS_ADAM, flattenKernels: true },
    )
    const roles = Object.fromEntries(routes.map((r) => [r.name.slice(5), r.role === 'matrix' ? `${r.rows}x${r.cols}` : r.reason]))
    expect(roles).toEqual({
      embedding: 'always-adam',
      positions: 'always-adam',
      'layer1/attn_norm/gain': 'vector',
      'layer1/attn/query/kernel': '64x64',
      'layer1/attn/output/kernel': '64x64',
      'layer1/mlp/up/kernel': '64x176',
      'layer1/mlp/down/kernel': '176x64',
      'final_norm/gain': 'vector',
      'head/kernel': 'always-adam',
      'output/kernel': 'always-adam',
      'block1/up/bias': 'vector',
      'conv2/kernel': '36x8',
    })
  })

  it('the optimizer routes the same way and uses AdamW state only where routed to AdamW', () => {
    const vars = makeVariables({ 'layer1/attn/output/kernel': [4, 4], embedding: [5, 4], 'up/bias': [4], 'conv/kernel': [3, 3, 2, 4] })
    const opt = new OrthogonalOptimizer({ learningRate: 0.02 }, vars)
    step(opt, vars, randomGrads(vars, createRng('r')))
    const roles = opt.optimizerStateBytes().params.map((p) => [localName(p.name), p.role, p.momentum > 0, p.moments > 0])
    expect(roles).toEqual([
      ['layer1/attn/output/kernel', 'matrix', true, false],
      ['embedding', 'adam', false, true],
      ['up/bias', 'adam', false, true],
      ['conv/kernel', 'matrix', true, false],
    ])
    opt.dispose()
    tf.dispose(vars)
  })
})

describe('shape scale for tfjs’s [in, out] layout', () => {
  it('Keller: √max(1, out/in); Moonlight: 0.2·√max(in, out); none: 1', () => {
    expect(shapeScale(64, 176, 'keller')).toBeCloseTo(Math.sqrt(176 / 64), 12) // up-projection [in 64, out 176]
    expect(shapeScale(176, 64, 'keller')).toBe(1) // down-projection
    expect(shapeScale(3 * 3 * 16, 32, 'keller')).toBe(1) // conv [3,3,16,32] flattened: fan_in 144 > fan_out 32
    expect(shapeScale(64, 176, 'moonlight')).toBeCloseTo(0.2 * Math.sqrt(176), 12)
    expect(shapeScale(176, 64, 'moonlight')).toBeCloseTo(0.2 * Math.sqrt(176), 12)
    expect(shapeScale(64, 176, 'none')).toBe(1)
  })

  it('scales the step: first step with nsSteps 0 is −lr·scale·g/‖g‖_F', () => {
    for (const [shape, scale, k] of [
      [[2, 8], 'keller', 2],
      [[8, 2], 'keller', 1],
      [[2, 8], 'moonlight', 0.2 * Math.sqrt(8)],
      [[2, 8], 'none', 1],
    ] as const) {
      const [v] = makeVariables({ 'w/kernel': [...shape] })
      const before = values(v!)
      const g = randomGrads([v!], createRng('s'))
      const opt = new OrthogonalOptimizer({ learningRate: 0.1, nsSteps: 0, scale }, [v!])
      step(opt, [v!], g)
      const gv = g['w/kernel']!
      const norm = Math.hypot(...gv)
      close(values(v!), before.map((p, i) => p - 0.1 * k * (gv[i]! / norm)), 1e-6)
      opt.dispose()
      v!.dispose()
    }
  })
})

describe('momentum and Nesterov against hand values', () => {
  // nsSteps 0 leaves the direction u/‖u‖_F, so the update reveals how u mixes g₁ and g₂.
  // g₁ = e₁, g₂ = e₂ (orthogonal). Lerp momentum: m₁ = (1−β)g₁, m₂ = β(1−β)g₁ + (1−β)g₂.
  // Nesterov u₂ = (1−β)g₂ + β·m₂ = β²(1−β)·g₁ + (1−β)(1+β)·g₂: component ratio β²/(1+β).
  // Plain u₂ = m₂: ratio β.
  for (const [nesterov, ratio] of [
    [true, (b: number) => (b * b) / (1 + b)],
    [false, (b: number) => b],
  ] as const) {
    it(`nesterov ${nesterov}: the second step’s direction has e₁:e₂ = ${nesterov ? 'β²/(1+β)' : 'β'}`, () => {
      const beta = 0.9
      const [v] = makeVariables({ 'w/kernel': [1, 2] })
      const opt = new OrthogonalOptimizer({ learningRate: 1, nsSteps: 0, momentum: beta, nesterov, scale: 'none' }, [v!])
      step(opt, [v!], { 'w/kernel': Float32Array.from([1, 0]) })
      const mid = values(v!)
      step(opt, [v!], { 'w/kernel': Float32Array.from([0, 1]) })
      const after = values(v!)
      const d = [mid[0]! - after[0]!, mid[1]! - after[1]!]
      const r = ratio(beta)
      close(d, [r / Math.hypot(r, 1), 1 / Math.hypot(r, 1)], 1e-6)
      // the buffer holds the lerp momentum m₂ (read back through getWeights)
      return opt.getWeights().then((w) => {
        const m = w.find((x) => x.name.endsWith('/momentum'))!
        close(values(m.tensor), [beta * (1 - beta), 1 - beta], 1e-7)
        opt.dispose()
        v!.dispose()
      })
    })
  }
})

describe('AdamW part', () => {
  it('rule adamw without decay equals tfjs Adam on every parameter', () => {
    const shapes = { 'a/kernel': [6, 5], 'b/bias': [5], embedding: [4, 6] }
    const v1 = makeVariables(shapes, 'same')
    const v2 = makeVariables(shapes, 'same')
    const mine = new OrthogonalOptimizer({ learningRate: 0.01, matrixRule: 'adamw', beta2: 0.999 }, v1)
    const ref = tf.train.adam(0.01, 0.9, 0.999, 1e-8)
    const rng = createRng('adam')
    for (let t = 0; t < 4; t++) {
      const g = randomGrads(v1, rng)
      step(mine, v1, g)
      const g2 = gradMap(v2, g)
      ref.applyGradients(g2 as never)
      tf.dispose(Object.values(g2))
    }
    v1.forEach((a, i) => expect(maxAbsDiff(a, v2[i]!)).toBeLessThan(2e-6))
    mine.dispose()
    ref.dispose()
    tf.dispose([...v1, ...v2])
  })

  it('decoupled weight decay: a zero gradient only shrinks, by 1 − lr·wd (matrices) and 1 − lr_adam·wd_adam (the rest)', () => {
    const vars = makeVariables({ 'a/kernel': [4, 6], 'a/bias': [6] })
    const before = vars.map(values)
    const opt = new OrthogonalOptimizer({ learningRate: 0.1, adamLearningRate: 0.01, weightDecay: 0.5, adamWeightDecay: 2 }, vars)
    step(opt, vars, { 'a/kernel': new Float32Array(24), 'a/bias': new Float32Array(6) })
    close(values(vars[0]!), before[0]!.map((p) => p * (1 - 0.1 * 0.5)))
    close(values(vars[1]!), before[1]!.map((p) => p * (1 - 0.01 * 2)))
    opt.dispose()
    tf.dispose(vars)
  })

  it('setLearningRate moves the AdamW rate in proportion', () => {
    const opt = new OrthogonalOptimizer({ learningRate: 0.02, adamLearningRate: 0.004 })
    opt.setLearningRate(0.01)
    expect(opt.learningRate).toBe(0.01)
    expect(opt.adamLearningRate).toBeCloseTo(0.002, 12)
    expect(() => opt.setLearningRate(Number.NaN)).toThrow(/finite number/)
  })
})

describe('percentile clip', () => {
  const quantile = (xs: number[], q: number) => {
    const s = xs.map(Math.abs).sort((a, b) => a - b)
    const pos = q * (s.length - 1)
    const lo = Math.floor(pos)
    const hi = Math.min(lo + 1, s.length - 1)
    return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!)
  }

  it('matches the interpolated quantile of |x| (torch/numpy rule) and clamps to it', () => {
    const rng = createRng('q')
    for (const n of [1, 2, 7, 1000]) {
      const xs = Array.from({ length: n }, () => rng.normal() * 3)
      const x = tf.tensor1d(xs)
      for (const q of [0.1, 0.5, 0.9, 0.99, 1]) {
        const e = absPercentile(x, q)
        expect(e.dataSync()[0]!).toBeCloseTo(quantile(xs, q), 4)
        const clipped = clipAtPercentile(x, q)
        const want = quantile(xs, q)
        close(values(clipped), xs.map((v) => Math.max(-want, Math.min(want, v))), 1e-4)
        tf.dispose([e, clipped])
      }
      x.dispose()
    }
  })

  it('clips the top 10% of entries at q = 0.9 and leaves the rest', () => {
    const x = tf.tensor2d(Array.from({ length: 20 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1)), [4, 5])
    const c = values(clipAtPercentile(x, 0.9))
    const e = quantile(Array.from({ length: 20 }, (_, i) => i + 1), 0.9) // 18.1
    expect(c.filter((v) => Math.abs(Math.abs(v) - e) < 1e-4).length).toBe(2) // entries 19 and 20
    expect(c.slice(0, 18)).toEqual(values(x).slice(0, 18))
    x.dispose()
  })

  it('a gradient spike dominates Muon’s update but not ROOT’s (q = 0.9 clip before Newton–Schulz)', () => {
    const rng = createRng('spike')
    // low rank signal + noise, one entry spiked to 1000× the typical size
    const u = Array.from({ length: 16 }, () => rng.normal())
    const w = Array.from({ length: 48 }, () => rng.normal())
    const g = Float32Array.from({ length: 16 * 48 }, (_, k) => u[Math.floor(k / 48)]! * w[k % 48]! + 0.3 * rng.normal())
    g[5 * 48 + 7] = 1000
    const spikeEntry = (clipPercentile: number | null) => {
      const [v] = makeVariables({ 'w/kernel': [16, 48] })
      const before = values(v!)
      const opt = new OrthogonalOptimizer({ learningRate: 1, scale: 'none', clipPercentile }, [v!])
      step(opt, [v!], { 'w/kernel': g })
      const delta = values(v!).map((p, i) => before[i]! - p)
      opt.dispose()
      v!.dispose()
      return { spike: Math.abs(delta[5 * 48 + 7]!), typical: Math.sqrt(delta.reduce((a, d) => a + d * d, 0) / delta.length) }
    }
    const muon = spikeEntry(null)
    const root = spikeEntry(0.9)
    // Muon: the spiked entry moves ≈ 0.7, about 6× the typical entry; clipped first, ≈ 0.35 (under 3×).
    expect(muon.spike / muon.typical).toBeGreaterThan(5)
    expect(root.spike / root.typical).toBeLessThan(3)
    expect(muon.spike / root.spike).toBeGreaterThan(1.8)
  })
})
