import { bestMetric, type EvalRecord, type Target } from '@converge/core'
import { median } from './stats.js'

/**
 * The bench's default target (AlgoPerf-style): the median over the baseline's seeds of its best
 * value of the metric, loosened by a relative margin so that a typical baseline run reaches it
 * (max-metrics: best·(1 − margin); min-metrics: best·(1 + margin) for positive values).
 */
export function targetFromBaseline(
  histories: readonly (readonly EvalRecord[])[],
  metric: string,
  direction: 'min' | 'max',
  margin: number,
): Target & { readonly baselineMedianBest: number } {
  if (histories.length === 0) throw new RangeError('deriving a target needs at least one completed baseline run')
  const best = median(histories.map((h) => bestMetric(h, metric, direction)))
  if (!Number.isFinite(best)) throw new RangeError(`baseline runs have no finite "${metric}" to derive a target from`)
  const loosen = direction === 'max' ? 1 - margin : 1 + margin
  const value = best >= 0 ? best * loosen : best / loosen
  return { metric, direction, value, baselineMedianBest: best }
}
