import { describe, expect, it } from 'vitest'
import { pairBounds, speedupEstimate } from '../src/paired-ratio.js'
import { forestPlot, renderSvg } from '../src/plots.js'
import { minimumDetectable } from '../src/power.js'
import type { ArmSummary, SuiteSummary } from '../src/summary.js'
import { verdictOf } from '../src/verdict.js'

const arm = (name: string, base: (number | null)[], mine: (number | null)[]): ArmSummary => {
  const bounds = pairBounds(base, mine, 1500)
  const speedup = speedupEstimate(bounds)
  return { arm: name, speedup, verdict: verdictOf(speedup, minimumDetectable(bounds, speedup.method)) } as unknown as ArmSummary
}

const forestSummary = {
  suite: 'demo',
  baseline: 'base',
  arms: [
    { arm: 'base', speedup: null, verdict: null } as unknown as ArmSummary,
    arm('fast', [900, 1000, 800, 1100, 950, 1000, 1200, 850], [700, 750, 650, 800, 700, 850, 800, 700]),
    arm('slow', [600, 700, 650, 700, 600, 750], [900, 1000, 800, 1100, 950, null]),
    arm('noisy', [800, 1300, 900, 1100, 700, 1200], [1000, 900, 1200, 800, 900, 1000]),
    arm('few', [800, null], [700, 900]),
  ],
} as unknown as SuiteSummary

describe('forest plot', () => {
  it('draws one row per compared arm with its verdict, interval kind, censoring and detectable speed-up', async () => {
    const plot = forestPlot(forestSummary)
    expect(plot.name).toBe('forest')
    const layers = (plot.spec as { layer: { data: { values: Record<string, unknown>[] } }[] }).layer
    const rows = (plot.spec as { layer: { encoding: { y: { sort: string[] } } }[] }).layer[0]!.encoding.y.sort
    expect(rows).toEqual([
      'fast: faster; signed-rank; no censoring',
      'slow: slower; sign test; 1 of 6 pairs censored',
      'noisy: inconclusive; signed-rank; no censoring',
      'few: inconclusive; no interval; 1 of 2 pairs censored',
    ])
    // minimum detectable speed-up and the matching slow-down, per arm with a spread
    const diamonds = layers[2]!.data.values
    expect(diamonds.filter((d) => String(d.arm).startsWith('noisy:')).map((d) => d.side)).toEqual(['speed-up', 'slow-down'])
    const svg = await renderSvg(plot.spec)
    expect(svg).toMatch(/^<svg/)
    expect(svg).toContain('noisy: inconclusive; signed-rank; no censoring')
  })
})
