import { z } from 'zod'

/**
 * The alignment weight λ(s) over main-phase steps s (counted from the start of main training, i.e.
 * from the end of any warm-up): REPA's constant weight, or ERW's halving decay
 * λ(s) = c0 · 2^(−s / halfLife) (official: c0 = 1 for SiT-B/S, 3 for L, 6 for XL; halfLife 50 000).
 */
export const alignmentWeightSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), value: z.number().min(0) }).strict(),
  z
    .object({
      kind: z.literal('halving'),
      c0: z.number().min(0),
      /** Steps, or `{ fraction }` of the main phase (maxSteps − warm-up steps), resolved at setup. */
      halfLife: z.union([z.number().positive(), z.object({ fraction: z.number().positive() }).strict()]),
    })
    .strict(),
])

export type AlignmentWeight = z.infer<typeof alignmentWeightSchema>

/** λ at main-phase step `s` (0 on the first main step); `mainSteps` resolves a fractional half-life. */
export function alignmentWeightAt(weight: AlignmentWeight, s: number, mainSteps?: number): number {
  if (!(s >= 0)) throw new RangeError(`alignment weight step must be ≥ 0, got ${s}`)
  if (weight.kind === 'constant') return weight.value
  return weight.c0 * 2 ** (-s / resolveSteps(weight.halfLife, mainSteps, 'halfLife'))
}

/** A step count given as a number, or as `{ fraction }` of `total` (rounded, at least 1). */
export function resolveSteps(value: number | { readonly fraction: number }, total: number | undefined, what: string): number {
  if (typeof value === 'number') return value
  if (total === undefined) throw new RangeError(`${what} is a fraction of the run; it needs the run's step budget`)
  return Math.max(1, Math.round(value.fraction * total))
}
