import * as fs from 'node:fs'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { CheckpointError } from './errors.js'
import { newestReadableCheckpoint, readCheckpoint } from './format.js'

/**
 * Loads trained weights from a checkpoint into `variables` (e.g. a freshly created task instance's,
 * for inference): `from` is a checkpoint directory (`.../ckpt-000001000`) or a run's checkpoint
 * directory, whose newest checkpoint that verifies is used. A checkpoint stores the task's
 * variables first, in the task's order, then those tricks added; `variables` must match the first
 * ones in number, shape and dtype.
 */
export function loadCheckpointWeights(from: string, variables: readonly tf.Variable[]): { step: number; path: string } {
  const checkpoint = fs.existsSync(path.join(from, 'manifest.json')) ? readCheckpoint(from) : newestReadableCheckpoint(from)
  const saved = (checkpoint.manifest.state as { variables?: { names?: string[]; values?: { $tensor: number }[] } }).variables
  if (!saved?.values || !saved.names) throw new CheckpointError(`checkpoint ${checkpoint.path} holds no variables`)
  if (variables.length > saved.values.length) {
    throw new CheckpointError(`checkpoint ${checkpoint.path} holds ${saved.values.length} variables; ${variables.length} were given`)
  }
  variables.forEach((v, i) => {
    const record = checkpoint.tensors[(saved.values![i] as { $tensor: number }).$tensor]
    if (!record || record.dtype !== v.dtype || record.shape.join() !== v.shape.join()) {
      throw new CheckpointError(
        `checkpoint ${checkpoint.path}: variable ${i} ("${saved.names![i]}") is ${record?.dtype}[${record?.shape.join(', ')}], but "${v.name}" is ${v.dtype}[${v.shape.join(', ')}]`,
      )
    }
    tf.tidy(() => v.assign(tf.tensor(record.values, record.shape as number[], record.dtype)))
  })
  return { step: checkpoint.manifest.step, path: checkpoint.path }
}
