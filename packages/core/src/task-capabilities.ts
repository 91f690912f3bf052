import * as tf from '@tensorflow/tfjs'
import { ContractError } from './errors.js'
import { silentLogger } from './logging.js'
import { checkInstance } from './loop/instance-checks.js'
import { SeedStreams } from './rng.js'
import type { TaskDefinition } from './task.js'
import type { Trick } from './trick.js'

let checks = 0

/**
 * The capabilities an instance of `task` provides, found before any run: creates one instance (on
 * the CPU backend, seed 1), reads its capabilities and frees it. Sets the CPU backend when another
 * is active: meant for planning, before runs choose their own backend.
 */
export async function taskCapabilities(task: TaskDefinition): Promise<string[]> {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu')
  const id = ++checks
  const made: unknown = await task.create({ seed: 1, streams: new SeedStreams(1), log: silentLogger, variableName: (local) => `capability-check${id}/${local}` })
  checkInstance(made, task.name)
  try {
    return Object.keys(made.capabilities ?? {})
  } finally {
    made.dispose()
  }
}

/** A ContractError naming the first trick that requires a capability not in `provided`, as a run would throw it. */
export function checkRequiredCapabilities(tricks: readonly Trick[], taskName: string, provided: readonly string[]): void {
  for (const t of tricks) {
    for (const cap of t.requires ?? []) {
      if (!provided.includes(cap)) {
        throw new ContractError(`trick "${t.name}" requires capability "${cap}", which task "${taskName}" does not provide (it provides: ${provided.length ? provided.join(', ') : 'none'})`)
      }
    }
  }
}
