import { MUON_QUINTIC, quinticStability, type Quintic } from './newton-schulz.js'

/**
 * ROOT's "adaptive" Newton–Schulz coefficients as released (huawei-noah/noah-research,
 * ROOT/examples/example_train.py): a fixed table keyed by (smaller side, larger side), fitted for
 * a 2048-wide Llama-like model; every other shape falls back to Muon's triple.
 */
export const ROOT_RELEASED_TABLE: ReadonlyArray<{ readonly min: number; readonly max: number; readonly coefficients: Quintic }> = [
  { min: 2048, max: 2048, coefficients: [3.4916, -4.8224, 2.1095] },
  { min: 2048, max: 3072, coefficients: [3.4509, -4.579, 1.9325] },
  { min: 2048, max: 8192, coefficients: [2.9794, -3.6674, 1.6207] },
  { min: 2048, max: 16384, coefficients: [3.1943, -3.8221, 1.5322] },
]

/**
 * The table this package uses: the released one without its square entry, which is unstable in
 * float32 (see `quinticStability`: p's maximum on [0, 1] exceeds its upper fixed point, so after
 * five steps some singular values land near 3 and a sixth step sends them past 600). Square
 * 2048×2048 matrices get Muon's triple instead, as every shape outside the table does.
 */
export const ROOT_TABLE = ROOT_RELEASED_TABLE.filter((e) => quinticStability(e.coefficients).stable)

export interface CoefficientChoice {
  readonly coefficients: Quintic
  /** 'table' when the shape has a fitted entry; 'fallback' for Muon's triple. */
  readonly source: 'table' | 'fallback'
}

/** ROOT's coefficients for a rows×cols matrix (orientation does not matter: NS runs on the smaller side). */
export function rootCoefficients(rows: number, cols: number): CoefficientChoice {
  const lo = Math.min(rows, cols)
  const hi = Math.max(rows, cols)
  const hit = ROOT_TABLE.find((e) => e.min === lo && e.max === hi)
  return hit ? { coefficients: hit.coefficients, source: 'table' } : { coefficients: MUON_QUINTIC, source: 'fallback' }
}
