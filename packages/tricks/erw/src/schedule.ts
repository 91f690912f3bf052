import { z } from 'zod'

/**
 * The alignment weight λ(s) over main-phase steps s (counted from the start of main training, i.e.
 * from the end of any warm-up): REPA's constant weight, or ERW's halving decay
 * λ(s) = c0 · 2^(−s / halfLife) (official: c0 = 1 for SiT-B/S, 3 for L, 6 for XL; halfLife 50 000).
 */
export const alignmentWeightSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), value: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('halving'), c0: z.number().min(0), halfLife: z.number().positive() }).strict(),
])

export type AlignmentWeight = z.infer<typeof alignmentWeightSchema>

/** λ at main-phase step `s` (0 on the first main step). */
export function alignmentWeightAt(weight: AlignmentWeight, s: number): number {
  if (!(s >= 0)) throw new RangeError(`alignment weight step must be ≥ 0, got ${s}`)
  return weight.kind === 'constant' ? weight.value : weight.c0 * 2 ** (-s / weight.halfLife)
}
