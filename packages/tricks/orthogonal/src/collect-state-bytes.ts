import type { RunExtras } from '@converge/core/suite'
import type { Trick } from '@converge/core'
import { adamwStateBytes } from './state-bytes.js'
import type { OrthogonalTrick } from './tricks.js'

/** Optimizer-state bytes of the run (peak), and the ratio to AdamW's for the same variables. */
export function collectStateBytes(tricks: readonly Trick[]): RunExtras {
  const trick = tricks.find((t): t is OrthogonalTrick => typeof (t as Partial<OrthogonalTrick>).optimizerStateBytes === 'function')
  const bytes = trick?.optimizerStateBytes()
  if (!trick || !bytes) return {}
  const adam = adamwStateBytes(trick.optimizerInstance?.routes ?? [])
  return { stateBytes: bytes.peak, stateBytesRatio: adam > 0 ? bytes.peak / adam : 1 }
}
