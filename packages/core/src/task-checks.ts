import { z } from 'zod'
import { ConfigError } from './errors.js'
import { optimizerSpecSchema } from './optimizer.js'
import { parseOptions } from './parse-options.js'
import type { TaskDefinition } from './task.js'

/** A task's own target: a metric it reports, a direction, a finite value. */
export const targetSchema = z
  .object({ metric: z.string().min(1), direction: z.enum(['min', 'max']), value: z.number().finite() })
  .strict()

const taskDefinitionSchema = z.object({
  name: z.string().min(1),
  options: z.record(z.string(), z.unknown()),
  target: targetSchema,
  optimizer: optimizerSpecSchema,
  create: z.custom<TaskDefinition['create']>((v) => typeof v === 'function', 'expected a function (init) => TaskInstance'),
})

/**
 * Checks a task definition before any work: a non-empty name, options, a target with a finite
 * value and a direction 'min' | 'max', a valid optimizer spec and create(). The message names the
 * task (when it has a name) and each bad field.
 */
export function checkTaskDefinition(task: unknown, what = 'task'): asserts task is TaskDefinition {
  if (!task || typeof task !== 'object') throw new ConfigError(`${what}: expected a task definition (an object with name, options, target, optimizer and create()), got ${task === null ? 'null' : typeof task}`)
  const name = (task as { name?: unknown }).name
  parseOptions(taskDefinitionSchema, task, typeof name === 'string' && name ? `${what} "${name}"` : what)
}
