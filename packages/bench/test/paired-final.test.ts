import { describe, expect, it } from 'vitest'
import { pairedFinal } from '../src/paired-final.js'
import type { RunRecord } from '../src/records.js'

const rec = (arm: string, seed: number, fd: number, maxSteps = 100, kind = 'run', diverged: string | null = null): RunRecord =>
  ({ kind, arm, seed, maxSteps, result: { history: [{ step: 50, metrics: { fd: fd * 2 } }, { step: maxSteps, metrics: { fd } }], diverged } }) as unknown as RunRecord

describe('pairedFinal', () => {
  it('pairs final values by seed at the full budget, > 1 when the arm ends better, with the signed-rank interval', () => {
    const records = [
      ...[1, 2, 3, 4, 5, 6].map((s) => rec('base', s, 10 + s)),
      // the arm ends at 0.8× the baseline's FD on every seed: ratio 1.25
      ...[1, 2, 3, 4, 5, 6].map((s) => rec('arm', s, 0.8 * (10 + s))),
      // a shorter budget and a tuning run never count
      rec('arm', 1, 1, 60, 'budget'),
      rec('base', 1001, 1, 100, 'tune'),
    ]
    const [p] = pairedFinal(records, 'base', 'fd', 'min')
    expect(p!.arm).toBe('arm')
    expect(p!.seeds).toEqual([1, 2, 3, 4, 5, 6])
    for (const r of p!.ratios) expect(r).toBeCloseTo(1.25, 12)
    expect(p!.estimate.method).toBe('signed-rank')
    expect(p!.estimate.estimateLow).toBeCloseTo(1.25, 9)
    expect(pairedFinal(records, 'base', 'fd', 'max')[0]!.ratios[0]).toBeCloseTo(0.8, 12)
  })
  it('leaves out a seed whose run diverged or lacks the metric', () => {
    const records = [rec('base', 1, 10), rec('base', 2, 10), rec('base', 3, 10), rec('arm', 1, 5), rec('arm', 2, 5, 100, 'run', 'loss is NaN'), rec('arm', 3, 5)]
    const [p] = pairedFinal(records, 'base', 'fd', 'min')
    expect(p!.seeds).toEqual([1, 3])
    expect(p!.estimate.enough).toBe(false)
    expect(pairedFinal(records, 'base', 'accuracy', 'max')[0]!.seeds).toEqual([])
  })
})
