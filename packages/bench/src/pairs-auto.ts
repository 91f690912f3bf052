import { ConfigError, stepsToTarget, type Target } from '@converge/core'
import type { SizeConfig } from '@converge/core/suite'
import { pairBounds } from './paired-ratio.js'
import { pairsToDetect } from './power.js'
import type { RunRecord } from './records.js'

/**
 * `pairs: 'auto'`: how many paired seeds a suite runs, sized from a pilot on its tuning seeds. The
 * pilot's per-pair log step-ratios (each compared arm against the baseline, pairs where both reached
 * the tuning target) give a pooled spread σ (each arm's own mean removed); the suite runs the fewest
 * pairs at which the signed-rank interval would call a true `detect` speed-up faster with 80% power at
 * that σ, at least 6 (the fewest at which the interval reaches 95%) and at most the size's `seeds`. A pilot with no spread (fewer than 2 usable pairs)
 * runs the cap and says so. Pilot runs are tuning-seed runs: no reported seed sizes its own suite.
 */

export const DEFAULT_DETECT = 1.25
/** The fewest pairs at which the interval reaches 95% (below, "detected" would mean at a lower level). */
export const MIN_AUTO_PAIRS = 6

export interface PairsChoice {
  readonly mode: 'auto'
  /** Speed-up the suite was sized to detect with 80% power. */
  readonly effect: number
  /** Most pairs allowed (the size's `seeds`). */
  readonly cap: number
  readonly pilotSeeds: readonly number[]
  /** Pooled sd of per-pair log ratios on the pilot; null when fewer than 2 usable pairs. */
  readonly pilotLogSpread: number | null
  /** Pilot pairs (over all compared arms) where both runs reached the tuning target. */
  readonly pilotPairs: number
  /** Paired seeds the suite ran. */
  readonly pairs: number
  /** Why this many, as printed. */
  readonly reason: string
}

/** Checks `pairs` and `detect` of a size config (fails before any run). */
export function validatePairs(suite: string, size: string, cfg: SizeConfig): void {
  const where = `suite "${suite}": sizes.${size}`
  if (cfg.pairs !== undefined && cfg.pairs !== 'auto') throw new ConfigError(`${where}.pairs must be 'auto' or left out (got ${JSON.stringify(cfg.pairs)})`)
  if (cfg.detect !== undefined && !(typeof cfg.detect === 'number' && Number.isFinite(cfg.detect) && cfg.detect > 1)) {
    throw new ConfigError(`${where}.detect must be a speed-up above 1, e.g. 1.25 (got ${JSON.stringify(cfg.detect)})`)
  }
  if (cfg.detect !== undefined && cfg.pairs !== 'auto') throw new ConfigError(`${where}.detect is read only with pairs: 'auto'`)
  if (cfg.pairs === 'auto' && cfg.seeds < MIN_AUTO_PAIRS) throw new ConfigError(`${where}.seeds is the cap of pairs: 'auto' and must be at least ${MIN_AUTO_PAIRS} (got ${cfg.seeds})`)
}

/** Pooled sd of per-pair log ratios over the compared arms' pilot pairs (each arm's mean removed). */
export function pilotSpread(records: readonly RunRecord[], baseline: string, target: Target): { spread: number | null; pairs: number } {
  const steps = (r: RunRecord) => (r.result.diverged ? null : stepsToTarget(r.result.history, target))
  const base = new Map(records.filter((r) => r.arm === baseline).map((r) => [r.seed, steps(r)]))
  const arms = [...new Set(records.map((r) => r.arm))].filter((a) => a !== baseline)
  let squares = 0
  let df = 0
  let pairs = 0
  for (const arm of arms) {
    const mine = records.filter((r) => r.arm === arm && base.has(r.seed))
    const d = pairBounds(mine.map((r) => base.get(r.seed) ?? null), mine.map(steps), Number.POSITIVE_INFINITY)
      .filter((b) => b !== null && b.low === b.high && b.low > 0 && Number.isFinite(b.low))
      .map((b) => Math.log((b as { low: number }).low))
    pairs += d.length
    if (d.length < 2) continue
    const mean = d.reduce((a, x) => a + x, 0) / d.length
    squares += d.reduce((a, x) => a + (x - mean) ** 2, 0)
    df += d.length - 1
  }
  return { spread: df > 0 ? Math.sqrt(squares / df) : null, pairs }
}

/** The number of pairs to run from the pilot's spread. */
export function choosePairs(spread: number | null, pilotPairs: number, effect: number, cap: number, pilotSeeds: readonly number[]): PairsChoice {
  const base = { mode: 'auto' as const, effect, cap, pilotSeeds, pilotLogSpread: spread, pilotPairs }
  if (spread === null) return { ...base, pairs: cap, reason: `pilot gave no spread (${pilotPairs} pair(s) where both reached): ran the cap, ${cap} pairs` }
  const n = pairsToDetect('signed-rank', effect, spread, cap, MIN_AUTO_PAIRS)
  if (n === null) return { ...base, pairs: cap, reason: `at pilot log-ratio sd ${spread.toFixed(3)}, even ${cap} pairs (the cap) cannot detect ${effect}x with 80% power: ran the cap` }
  const pairs = n
  return { ...base, pairs, reason: `pilot log-ratio sd ${spread.toFixed(3)} on tuning seeds ${pilotSeeds.join(', ')}: ${pairs} pairs detect ${effect}x with 80% power (cap ${cap})` }
}
