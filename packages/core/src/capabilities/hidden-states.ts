import type * as tf from '@tensorflow/tfjs'
import type { ForwardOutput } from '../task.js'

/** How a hidden state is laid out per sample: `tokens` positions of `width` features. */
export interface TokenShape {
  readonly tokens: number
  readonly width: number
}

/**
 * `hiddenStates`: the task's forward output carries named intermediate states that a trick may
 * read (inside the tape, so a loss on them trains the layers below). REPA aligns one of them with
 * a teacher's features.
 */
export interface HiddenStates {
  /** Layer names, in forward order (e.g. `block1`, `block2`). */
  readonly layers: readonly string[]
  /** Token layout of a layer's state. */
  shape(layer: string): TokenShape
  /** The state of `layer` in a forward output of this task, `[batch, tokens, width]`. */
  read(out: ForwardOutput, layer: string): tf.Tensor3D
}
