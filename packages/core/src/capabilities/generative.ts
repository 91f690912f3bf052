import type * as tf from '@tensorflow/tfjs'
import type { Batch } from '../task.js'
import type { TokenShape } from './hidden-states.js'

/**
 * `generative`: a denoising (diffusion / flow) model built from a stack of blocks over tokens.
 * Gives what representation warm-up (ERW) needs: the clean inputs of a batch, a forward of the
 * first `depth` blocks on clean inputs at t = 0, and the variables that forward uses.
 */
export interface Generative {
  /** Blocks in the denoiser. */
  readonly depth: number
  /** Token layout of every block's output. */
  readonly tokens: TokenShape
  /** Clean training inputs of a batch (the data the noise is added to), `[batch, ...]`. */
  clean(batch: Batch): tf.Tensor
  /**
   * Hidden state after block `depth` (1-based) for the batch's clean inputs at t = 0,
   * `[batch, tokens, width]`. Runs the embedders and the first `depth` blocks only.
   */
  encodeClean(batch: Batch, depth: number): tf.Tensor3D
  /** Variables that `encodeClean(batch, depth)` uses: embedders and blocks 1..depth. */
  variablesTo(depth: number): readonly tf.Variable[]
}
