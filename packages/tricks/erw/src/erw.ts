import { ConfigError } from '@converge/core'
import type { TeacherLoader } from './frozen-encoder.js'
import { representationAlignment, type RepresentationAlignmentTrick } from './representation-alignment.js'

export interface ErwOptions {
  /** Makes the frozen teacher at setup (the trick disposes it). */
  readonly teacher: TeacherLoader
  /** Warm-up steps W, or `{ fraction }` of the run's maxSteps (they count toward maxSteps and steps-to-target). */
  readonly warmupSteps: number | { readonly fraction: number }
  /** Blocks trained in the warm-up (the L2R region; official 4 of 28). */
  readonly warmupDepth: number
  /** Block aligned during main training (official 14 of 28). Default: warmupDepth. */
  readonly alignDepth?: number
  /** Warm-up loss weight (official `--proj-coeff` 0.5). */
  readonly warmupWeight?: number
  /** λ at the transition (official c0: 1 for SiT-B/S, 3 for L, 6 for XL). Default 1. */
  readonly c0?: number
  /** λ halves every `halfLife` main steps, or `{ fraction }` of the main phase (official 50 000 of 200 000: `{ fraction: 0.25 }`). */
  readonly halfLife: number | { readonly fraction: number }
  readonly projectorHidden?: number
}

/**
 * ERW (Embedded Representation Warmup, arXiv 2504.10188): a warm-up phase that trains the
 * denoiser's embedders and first `warmupDepth` blocks plus a projector to align with a frozen
 * teacher's patch features on clean inputs at t = 0, then main training with the diffusion loss
 * plus λ(s)·L_align, λ(s) = c0·2^(−s/halfLife) from the transition.
 */
export function erw(options: ErwOptions): RepresentationAlignmentTrick {
  if (options === null || typeof options !== 'object') throw new ConfigError(`erw options must be an object, got ${String(options)}`)
  const { teacher, warmupSteps, warmupDepth, alignDepth, warmupWeight, c0, halfLife, projectorHidden, ...rest } = options
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw new ConfigError(`erw options: unknown key(s) ${unknown.join(', ')}`)
  return representationAlignment('erw', {
    teacher,
    alignDepth: alignDepth ?? warmupDepth,
    ...(projectorHidden !== undefined ? { projectorHidden } : {}),
    weight: { kind: 'halving', c0: c0 ?? 1, halfLife },
    warmup: { steps: warmupSteps, depth: warmupDepth, ...(warmupWeight !== undefined ? { weight: warmupWeight } : {}) },
  })
}
