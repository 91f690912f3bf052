import type { RolloutBatch } from './rl/rollouts.js'

/** What `afterStep` (and the `onStep` observer) sees once an optimizer step is done. */
export interface StepReport {
  /** The step just taken (1-based: after this report, `step` optimizer steps have run). */
  readonly step: number
  /** The phase it belongs to (`main` or a setup phase) and its 1-based index there. */
  readonly phase: { readonly name: string; readonly step: number }
  /** Sum of the summed loss terms. */
  readonly loss: number
  /** The summed terms by name. */
  readonly lossParts: Readonly<Record<string, number>>
  /** Reported-only diagnostics by name (not part of `loss`). */
  readonly reported: Readonly<Record<string, number>>
  readonly learningRate: number
  readonly sources: readonly string[]
  readonly rollouts?: RolloutBatch
}
