import { describe, expect, it } from 'vitest'
import type { EvalRecord } from '@converge/core'
import { targetFromBaseline } from '../src/target.js'

const hist = (...acc: number[]): EvalRecord[] => acc.map((a, i) => ({ step: i * 10, metrics: { accuracy: a, loss: 1 - a }, trainMs: 0 }))

describe('target from the baseline arm', () => {
  it('is the median over seeds of the best value, loosened by the margin', () => {
    const t = targetFromBaseline([hist(0.1, 0.8, 0.7), hist(0.2, 0.9), hist(0.5, 0.85)], 'accuracy', 'max', 0.02)
    expect(t.baselineMedianBest).toBe(0.85)
    expect(t.value).toBeCloseTo(0.85 * 0.98)
    const l = targetFromBaseline([hist(0.1, 0.8), hist(0.2, 0.9), hist(0.5, 0.6)], 'loss', 'min', 0.1)
    expect(l.baselineMedianBest).toBeCloseTo(0.2)
    expect(l.value).toBeCloseTo(0.22)
  })
  it('fails clearly without baseline runs or metric values', () => {
    expect(() => targetFromBaseline([], 'accuracy', 'max', 0)).toThrow(/at least one/)
    expect(() => targetFromBaseline([hist(0.1)], 'f1', 'max', 0)).toThrow(/no finite "f1"/)
  })
})
