import { ConfigError } from '@converge/core'
import type { TeacherLoader } from './frozen-encoder.js'
import { representationAlignment, type RepresentationAlignmentTrick } from './representation-alignment.js'
import type { AlignmentWeight } from './schedule.js'

export interface RepaOptions {
  /** Makes the frozen teacher at setup (the trick disposes it). */
  readonly teacher: TeacherLoader
  /** Block whose hidden state is aligned (official 8 of 28). */
  readonly alignDepth: number
  /** λ(s): default constant 0.5 (official `--proj-coeff`); `{ kind: 'halving', … }` gives ERW's decay without its warm-up. */
  readonly weight?: AlignmentWeight
  readonly projectorHidden?: number
}

/**
 * REPA (representation alignment): from step 0, L = L_diff + λ·L_align on block `alignDepth`'s
 * state of the noisy input, aligned through a per-token projector to a frozen teacher's patch
 * features of the clean input.
 */
export function repa(options: RepaOptions): RepresentationAlignmentTrick {
  if (options === null || typeof options !== 'object') throw new ConfigError(`repa options must be an object, got ${String(options)}`)
  const { teacher, alignDepth, weight, projectorHidden, ...rest } = options
  const unknown = Object.keys(rest)
  if (unknown.length > 0) throw new ConfigError(`repa options: unknown key(s) ${unknown.join(', ')}`)
  return representationAlignment('repa', {
    teacher,
    alignDepth,
    weight: weight ?? { kind: 'constant', value: 0.5 },
    ...(projectorHidden !== undefined ? { projectorHidden } : {}),
  })
}
