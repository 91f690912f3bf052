import * as tf from '@tensorflow/tfjs'
import { syntheticClassification, type TaskDefinition, type Trick, type HookName } from '../src/index.js'

/** A small, fast task for loop tests. */
export const smallTask = (extra: Parameters<typeof syntheticClassification>[0] = {}): TaskDefinition =>
  syntheticClassification({ features: 8, hidden: 16, trainSize: 512, evalSize: 256, batchSize: 16, ...extra }) as unknown as TaskDefinition

/** A trick that implements every hook and logs each call as `<name>:<hook>` into `log`. */
export function recorder(name: string, log: string[], extra: Partial<Trick> = {}): Trick {
  const hooks: HookName[] = [
    'setup', 'learningRate', 'beforeStep', 'beforeForward', 'afterForward', 'loss', 'afterBackward', 'afterStep',
    'beforeEvaluate', 'afterEvaluate', 'evaluate', 'end',
  ]
  const t: Record<string, unknown> = { name }
  for (const h of hooks) {
    t[h] = (_ctx: unknown, value: unknown) => {
      log.push(`${name}:${h}`)
      return h === 'learningRate' || h === 'loss' || h === 'afterEvaluate' ? value : undefined
    }
  }
  return { ...(t as unknown as Trick), ...extra }
}

export const numTensors = (): number => tf.memory().numTensors
