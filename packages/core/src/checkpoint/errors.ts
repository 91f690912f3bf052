import { ConvergeError } from '../errors.js'

/** A checkpoint that cannot be written, read or resumed from: corrupt, truncated, from other settings or another format version. */
export class CheckpointError extends ConvergeError {
  override name = 'CheckpointError'
  constructor(
    message: string,
    /** `damaged`: truncated, corrupt or incomplete (a resume falls back to an older checkpoint); `invalid`: anything else. */
    readonly kind: 'damaged' | 'invalid' = 'invalid',
  ) {
    super(message)
  }
}
