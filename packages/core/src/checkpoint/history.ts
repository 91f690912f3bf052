import type { EvalRecord } from '../result.js'
import { decodeState } from './codec.js'
import { CheckpointError } from './errors.js'
import { newestReadableCheckpoint } from './format.js'

/**
 * The evaluation history stored in the newest complete checkpoint of a run's directory, and the
 * step it was written at. For callers that collect evaluations through `onEval` and resume: a
 * resumed run calls `onEval` only for evaluations after its checkpoint, and a run that then fails
 * (e.g. a non-finite loss) returns no result holding the earlier ones.
 */
export function checkpointHistory(dir: string): { step: number; history: EvalRecord[] } {
  const checkpoint = newestReadableCheckpoint(dir)
  const history = (decodeState((checkpoint.manifest.state as { history?: unknown }).history, [], []) ?? null) as EvalRecord[] | null
  if (!Array.isArray(history)) throw new CheckpointError(`checkpoint ${checkpoint.path} holds no evaluation history`)
  return { step: checkpoint.manifest.step, history }
}
