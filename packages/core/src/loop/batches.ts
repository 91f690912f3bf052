import * as tf from '@tensorflow/tfjs'
import type { Rng } from '../rng.js'
import type { Batch } from '../task.js'

/**
 * One data stream of a run (`main`, or a setup phase's): its own random streams, the batch in
 * use, and the tensors the loop owns in it. The loop owns exactly the tensors `task.batch()`
 * returned in the batch's top-level fields (and arrays there), never variables, and frees them
 * once the batch is used up, whatever hooks wrote into the batch meanwhile.
 */
export class BatchStream {
  private current: Batch | null = null
  private owned: tf.Tensor[] = []
  private updatesLeft = 0
  private updates = 1

  constructor(
    /** `main` or `phase:<name>`: what `BatchRequest.stream` says. */
    readonly name: string,
    /** Handed to `task.batch()`. */
    readonly dataRng: Rng,
    /** Draws sources when no trick chooses them. */
    readonly samplingRng: Rng,
  ) {}

  get batch(): Batch {
    if (!this.current) throw new Error(`no batch drawn yet on stream "${this.name}"`)
    return this.current
  }

  /** True when the current batch is used up (or none was drawn). */
  needsBatch(): boolean {
    return this.updatesLeft === 0
  }

  /** Takes ownership of a freshly drawn batch, freeing the previous one. */
  set(batch: Batch, updates: number): void {
    this.release()
    this.current = batch
    this.owned = ownedTensors(batch)
    this.updates = updates
    this.updatesLeft = updates
  }

  /** Counts one update on the current batch; returns its 0-based index. */
  takeUpdate(): number {
    this.updatesLeft--
    return this.updates - this.updatesLeft - 1
  }

  /** Frees the tensors of the current batch. */
  release(): void {
    for (const t of this.owned) t.dispose()
    this.owned = []
  }
}

function ownedTensors(batch: Batch): tf.Tensor[] {
  const owned: tf.Tensor[] = []
  const take = (v: unknown) => {
    if (v instanceof tf.Tensor && !(v instanceof tf.Variable)) owned.push(v)
  }
  for (const value of Object.values(batch)) {
    if (Array.isArray(value)) value.forEach(take)
    else take(value)
  }
  return owned
}
