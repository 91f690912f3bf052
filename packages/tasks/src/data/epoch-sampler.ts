import type { Rng, TaskState } from '@converge/core'

interface Cursor {
  order: Int32Array
  next: number
}

/**
 * Draws example indices epoch by epoch: each epoch is a fresh permutation of `0..size-1` shuffled
 * with the asking stream's random numbers (a task passes its `BatchRequest`'s `rng` and `stream`),
 * so the data order follows the run's seed. One cursor per data stream: a setup phase drawing
 * batches never shifts the main phase's order. `state()`/`loadState()` carry the cursors through
 * checkpoints.
 */
export class EpochSampler {
  private readonly cursors = new Map<string, Cursor>()

  constructor(readonly size: number) {
    if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`EpochSampler: size must be a positive integer, got ${size}`)
  }

  /** The next `n` indices of `stream`'s epoch order; starts a new epoch (a new shuffle from `rng`) when one runs out. */
  next(rng: Rng, stream: string, n: number): Int32Array {
    let cursor = this.cursors.get(stream)
    if (!cursor) this.cursors.set(stream, (cursor = { order: new Int32Array(0), next: 0 }))
    const out = new Int32Array(n)
    for (let i = 0; i < n; i++) {
      if (cursor.next >= cursor.order.length) {
        cursor.order = shuffled(this.size, rng)
        cursor.next = 0
      }
      out[i] = cursor.order[cursor.next++] as number
    }
    return out
  }

  /** Every stream's epoch order and position (copies). */
  state(): TaskState {
    return Object.fromEntries([...this.cursors].map(([stream, c]) => [stream, { order: Int32Array.from(c.order), next: c.next }]))
  }

  /** Restores what `state()` returned. */
  loadState(state: TaskState): void {
    this.cursors.clear()
    for (const [stream, saved] of Object.entries(state)) {
      const c = saved as { order?: ArrayLike<number>; next?: unknown }
      if (!c || !c.order || typeof c.next !== 'number') throw new TypeError(`EpochSampler.loadState: stream "${stream}" must be { order, next } as state() returns`)
      this.cursors.set(stream, { order: Int32Array.from(c.order), next: c.next })
    }
  }
}

/** A Fisher–Yates permutation of 0..size-1 drawn from `rng`. */
function shuffled(size: number, rng: Rng): Int32Array {
  const order = new Int32Array(size)
  for (let i = 0; i < size; i++) order[i] = i
  for (let i = size - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = order[i] as number
    order[i] = order[j] as number
    order[j] = t
  }
  return order
}
