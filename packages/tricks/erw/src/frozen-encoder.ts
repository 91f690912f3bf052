import type * as tf from '@tensorflow/tfjs'
import type { TokenShape } from '@converge/core'

/**
 * A frozen pretrained encoder (the teacher): per-patch features of clean inputs. Its token count
 * must equal the denoiser's (same patch grid). `@converge/tasks` ships one for the shapes family
 * (`loadShapeTeacher`).
 */
export interface FrozenEncoder {
  readonly tokens: TokenShape
  /** Clean inputs (as the task's `generative.clean` gives them) → `[batch, tokens, width]`; no trainable variables. */
  encode(clean: tf.Tensor): tf.Tensor3D
  dispose(): void
}

/** Makes the teacher at setup; the trick owns the result and disposes it when the run ends. */
export type TeacherLoader = () => FrozenEncoder | Promise<FrozenEncoder>
