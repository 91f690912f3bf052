import { checkRequiredCapabilities, checkTaskDefinition, ConfigError, optimizerSpecSchema, parseOptions, taskCapabilities, validateTricks, type TaskDefinition, type Trick } from '@converge/core'
import { z } from 'zod'
import { armOptimizer, type ArmSpec, type BenchSize, type BenchSuite, type Hyperparams } from '@converge/core/suite'
import { checkFolderName } from './names.js'

const any = z.unknown().optional()
/** The fields of a suite and of an arm (BenchSuite, ArmSpec): a misspelt one is an error, never ignored. */
// `satisfies` keeps these lists equal to the interfaces: a field added there fails to compile here until listed.
const suiteKeys = z.object({ name: any, description: any, task: any, arms: any, baseline: any, sizes: any, target: any, crossing: any, tuneBy: any, cost: any, plots: any, notes: any, optIn: any } satisfies Record<keyof BenchSuite, z.ZodTypeAny>).strict()
const armKeys = z.object({ name: any, description: any, tricks: any, tune: any, optimizer: any, task: any, budgetFractions: any, collect: any } satisfies Record<keyof ArmSpec, z.ZodTypeAny>).strict()

/**
 * Checks what a suite's fields are named, before anything reads them: its name and its arms' names
 * are safe folder names (they become folders and file names under --out), and no key is unknown
 * (`baselin`, `tunes`), with the nearest known name in the message.
 */
export function checkSuiteFields(s: BenchSuite): void {
  checkFolderName(`suite ${JSON.stringify(s.name)}`, 'name', s.name)
  parseOptions(suiteKeys, s, `suite "${s.name}"`)
  for (const a of Array.isArray(s.arms) ? (s.arms as readonly ArmSpec[]) : []) {
    if (!a || typeof a !== 'object') throw new ConfigError(`suite "${s.name}": every arm must be an object { name, tricks }`)
    checkFolderName(`suite "${s.name}", arm ${JSON.stringify(a.name)}`, 'name', a.name)
    parseOptions(armKeys, a, `suite "${s.name}", arm "${a.name}"`)
  }
}

/** An arm built at `hp` for planning: its task, tricks and optimizer, each checked. */
export interface BuiltArm {
  readonly task: TaskDefinition
  readonly tricks: Trick[]
}

/**
 * Builds an arm at hyperparameters `hp` and checks every part as a run would, so that a bad value
 * fails at planning (before the baseline runs): the task definition (`arm.task` or the suite's),
 * what `tricks(hp)` returns (an array of valid tricks with unique names), and the optimizer spec.
 * Errors name the part (`task`, `tricks`, `optimizer`); the caller prefixes suite and arm.
 */
export function buildArm(suite: BenchSuite, arm: ArmSpec, hp: Hyperparams, size: BenchSize): BuiltArm {
  const task: unknown = (arm.task ?? suite.task)(size)
  checkTaskDefinition(task, arm.task ? 'task (the arm\'s)' : 'task')
  const tricks: unknown = arm.tricks(hp)
  if (!Array.isArray(tricks)) throw new ConfigError(`tricks: tricks(hp) returned ${tricks === null ? 'null' : typeof tricks === 'object' ? 'an object' : typeof tricks}; expected an array of tricks (return [] for none, [t] for one)`)
  validateTricks(tricks)
  const optimizer = armOptimizer(arm, hp)
  if (optimizer !== undefined) parseOptions(optimizerSpecSchema, optimizer, 'optimizer')
  return { task, tricks: tricks as Trick[] }
}

/**
 * Refuses, at planning, an arm whose tricks require a capability its task does not provide (a run
 * would fail at its start, every seed alike). Creates one instance per distinct task (by name and
 * options) among the arms whose tricks require any capability; tuned arms are built at their first
 * grid point (the tricks' `requires` does not depend on the hyperparameters).
 */
export async function checkArmCapabilities(suite: BenchSuite, arms: readonly ArmSpec[], size: BenchSize, grids: ReadonlyMap<string, readonly Hyperparams[]>): Promise<void> {
  const provided = new Map<string, Promise<string[]>>()
  for (const arm of arms) {
    const where = `suite "${suite.name}", arm "${arm.name}"`
    const { task, tricks } = buildArm(suite, arm, grids.get(arm.name)?.[0] ?? {}, size)
    if (!tricks.some((t) => t.requires?.length)) continue
    const key = JSON.stringify([task.name, task.options])
    if (!provided.has(key)) provided.set(key, taskCapabilities(task))
    let caps: string[]
    try {
      caps = await (provided.get(key) as Promise<string[]>)
    } catch (e) {
      throw new ConfigError(`${where}: creating task "${task.name}" failed: ${(e as Error).message}`)
    }
    try {
      checkRequiredCapabilities(tricks, task.name, caps)
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`)
    }
  }
}
