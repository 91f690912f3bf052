import type { Capability } from './capabilities/index.js'
import type { TrickHooks } from './hooks/table.js'

/**
 * A snapshot of a trick's state, for checkpoints: JSON values (numbers, strings, booleans, null,
 * arrays, plain objects), typed arrays and `tf.Tensor`s. Tensors in a snapshot are copies the
 * caller owns. It must hold everything of the trick that changes training later: a resumed run is
 * expected to equal an uninterrupted one bit for bit (the contract kit checks it).
 */
export type TrickState = Record<string, unknown>

/** The non-hook part of a trick. */
export interface TrickBase {
  /** Unique within a run; used in traces, errors, results and variable names. */
  readonly name: string
  /** The options it was made with, recorded in results. */
  readonly options?: Readonly<Record<string, unknown>>
  /** Capabilities the task must provide; checked after the task is created, before any setup. */
  readonly requires?: readonly Capability[]
  /** A snapshot of the trick's state (tensors are copies the caller owns). */
  state?(): TrickState
  /** Restores a snapshot, before or during a run. Copies tensors; never takes ownership of them. */
  loadState?(state: TrickState): void
  /** Frees tensors the trick owns; called once when the run ends (tricks in reverse order). */
  dispose?(): void
}

/**
 * A trick: a plain object with a name and the hooks it needs, like a Rollup plugin. The hooks,
 * their kinds and calling order are the table `HOOKS` (`hooks/table.ts`); `docs/writing-a-trick.md`
 * is checked against it.
 */
export interface Trick extends TrickBase, Partial<TrickHooks> {}

/** Helper for authors: gives a trick factory's result the right type without widening. */
export function defineTrick<T extends Trick>(trick: T): T {
  return trick
}
