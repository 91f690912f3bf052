import { fmtRatio } from './format.js'
import type { SpeedupEstimate } from './paired-ratio.js'
import type { MinimumDetectable } from './power.js'

/**
 * The verdict word of a speed-up row, from its interval and its minimum detectable speed-up X:
 *   faster                  the interval lies above 1 (an open end at 1 counts: `(1.00, 2.1]`)
 *   slower                  the interval lies below 1 (`[0, 1.00)`: every pair's bound is strict)
 *   no difference detected  the interval contains 1, and the suite could have detected X ≤ 1.3x
 *   inconclusive            the interval contains 1 and X > 1.3x (or unknown: too few pairs, no spread)
 * 1.3x is the line because the tricks the bench measures claim 1.3–2x: a suite that could only see
 * larger effects than that says nothing about them, so its "no difference" is not evidence.
 */

export type VerdictWord = 'faster' | 'slower' | 'no difference detected' | 'inconclusive'

/** A suite whose minimum detectable speed-up is at most this can say "no difference detected". */
export const DETECTABLE_LIMIT = 1.3

export interface Verdict {
  readonly word: VerdictWord
  /** The word with its qualifier, as printed: e.g. "no difference detected (could have detected ≥ 1.18x)". */
  readonly text: string
  readonly minimumDetectable: MinimumDetectable
}

export function verdictOf(e: SpeedupEstimate, mds: MinimumDetectable): Verdict {
  const x = mds.speedup
  const could = x === null ? null : `${fmtRatio(x)}x${mds.optimistic ? ', if nothing were censored' : ''}`
  if (e.enough && (e.low > 1 || (e.low === 1 && e.lowOpen))) return { word: 'faster', text: 'faster', minimumDetectable: mds }
  if (e.enough && (e.high < 1 || (e.high === 1 && e.highOpen))) return { word: 'slower', text: 'slower', minimumDetectable: mds }
  if (e.enough && x !== null && x <= DETECTABLE_LIMIT) return { word: 'no difference detected', text: `no difference detected (could have detected ≥ ${could})`, minimumDetectable: mds }
  const why = !e.enough ? 'too few informative pairs' : could === null ? 'no spread: fewer than 2 pairs where both reached' : `could only detect ≥ ${could}`
  return { word: 'inconclusive', text: `inconclusive (${why})`, minimumDetectable: mds }
}
