import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { MUON_QUINTIC, newtonSchulz, quinticIterate, quinticStability, ROOT_RELEASED_TABLE, ROOT_TABLE, rootCoefficients } from '../src/index.js'
import { randomMatrix, singularValues } from './helpers.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('Newton–Schulz singular-value map', () => {
  it('maps an orthogonal matrix to (nearly) itself times a constant near 1', () => {
    // A random orthogonal 16×16 (Q of a QR): every normalised σ is 1/4, which five Muon steps send
    // to quinticIterate(0.25) — the same number for all, so the output is c·Q.
    const q = tf.tidy(() => tf.linalg.qr(randomMatrix(16, 16, 'orth'))[0]) as tf.Tensor2D
    const out = newtonSchulz(q)
    const c = quinticIterate(MUON_QUINTIC, 1 / 4, 5)
    expect(c).toBeGreaterThan(0.68)
    expect(c).toBeLessThan(1.2)
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(out, tf.mul(q, c)))).dataSync()[0]!)
    expect(diff).toBeLessThan(1e-4)
    const s = singularValues(out)
    expect(Math.max(...s) - Math.min(...s)).toBeLessThan(1e-4)
    tf.dispose([q, out])
  })

  it('maps each singular value of a random 64×256 matrix as the scalar quintic does, into the band [0.68, 1.2]', () => {
    for (const [r, c] of [
      [64, 256],
      [256, 64],
    ] as const) {
      const g = randomMatrix(r, c, `band-${r}`)
      const out = newtonSchulz(g)
      expect(out.shape).toEqual([r, c])
      const s = singularValues(out)
      expect(s.length).toBe(64)
      // The documented band: five Muon steps send normalised σ ∈ [0.01, 1] into about [0.68, 1.2].
      expect(Math.min(...s)).toBeGreaterThan(0.68)
      expect(Math.max(...s)).toBeLessThan(1.2)
      // Exactly: each σ/‖G‖_F goes through p five times (compared as sorted sets, since p is not monotone).
      const s0 = singularValues(g)
      const fro = Math.hypot(...s0)
      const predicted = s0.map((x) => quinticIterate(MUON_QUINTIC, x / fro, 5)).sort((x, y) => y - x)
      for (let i = 0; i < s.length; i++) expect(Math.abs(s[i]! - predicted[i]!)).toBeLessThan(2e-3)
      // The input's spread (σ ratio ≈ 3, Marchenko–Pastur) shrinks to the band's
      expect(s0[0]! / s0.at(-1)!).toBeGreaterThan(2.5)
      expect(s[0]! / s.at(-1)!).toBeLessThan(1.7)
      tf.dispose([g, out])
    }
  })

  it('matches the scalar iteration on a diagonal matrix with known singular values', () => {
    const sigmas = [1, 0.5, 0.1, 0.01]
    const d = tf.tensor2d([1, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.1, 0, 0, 0, 0, 0.01], [4, 4])
    const out = newtonSchulz(d).dataSync()
    const norm = Math.hypot(...sigmas)
    sigmas.forEach((s, i) => expect(out[i * 5]!).toBeCloseTo(quinticIterate(MUON_QUINTIC, s / norm, 5), 4))
    d.dispose()
  })

  it('gives zeros for a zero matrix, is invariant to the input’s scale, and steps 0 only normalises', () => {
    const z = tf.zeros([8, 12]) as tf.Tensor2D
    const oz = newtonSchulz(z)
    expect(Array.from(oz.dataSync()).every((v) => v === 0)).toBe(true)
    const g = randomMatrix(8, 12, 'scale')
    const g1000 = tf.mul(g, 1000) as tf.Tensor2D
    const [a, b] = [newtonSchulz(g), newtonSchulz(g1000)]
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)
    expect(diff).toBeLessThan(1e-4)
    const n0 = newtonSchulz(g, MUON_QUINTIC, 0)
    expect(tf.tidy(() => tf.norm(n0).dataSync()[0]!)).toBeCloseTo(1, 5)
    tf.dispose([z, oz, g, g1000, a, b, n0])
  })
})

describe('coefficient stability and ROOT’s table', () => {
  it('Muon’s triple and three of ROOT’s are stable; ROOT’s released square triple is not', () => {
    const muon = quinticStability(MUON_QUINTIC)
    expect(muon.stable).toBe(true)
    expect(muon.upperFixedPoint).toBeCloseTo(1.2637, 3)
    const square = ROOT_RELEASED_TABLE.find((e) => e.min === e.max)!
    const s = quinticStability(square.coefficients)
    expect(s.stable).toBe(false)
    expect(s.upperFixedPoint).toBeCloseTo(1.2236, 3)
    expect(s.maxOnInterval).toBeGreaterThan(s.upperFixedPoint)
    // Consequence: iterating it lets a band of singular values escape (σ₀ = 0.559 lands above the fixed point).
    expect(quinticIterate(square.coefficients, 0.559, 8)).toBeGreaterThan(100)
    expect(quinticIterate(MUON_QUINTIC, 0.559, 8)).toBeLessThan(1.3)
    for (const e of ROOT_RELEASED_TABLE.filter((x) => x.min !== x.max)) expect(quinticStability(e.coefficients).stable).toBe(true)
    expect(ROOT_TABLE.map((e) => `${e.min}x${e.max}`)).toEqual(['2048x3072', '2048x8192', '2048x16384'])
  })

  it('looks ROOT’s triple up by (smaller, larger) side, falling back to Muon’s elsewhere and for the square shape', () => {
    expect(rootCoefficients(8192, 2048)).toEqual({ coefficients: ROOT_TABLE[1]!.coefficients, source: 'table' })
    expect(rootCoefficients(2048, 8192).source).toBe('table')
    expect(rootCoefficients(2048, 2048)).toEqual({ coefficients: MUON_QUINTIC, source: 'fallback' })
    expect(rootCoefficients(64, 176)).toEqual({ coefficients: MUON_QUINTIC, source: 'fallback' })
  })
})
