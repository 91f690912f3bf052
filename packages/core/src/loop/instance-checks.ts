import * as tf from '@tensorflow/tfjs'
import type { ProvidedCapabilities } from '../capabilities/index.js'
import { describeValue } from '../describe-value.js'
import { ContractError } from '../errors.js'
import type { TaskInstance } from '../task.js'
import type { Trick } from '../trick.js'

const METHODS = ['batch', 'forward', 'loss', 'evaluate', 'dispose'] as const

/**
 * Checks what `task.create()` returned before anything uses it; on failure frees what it can of
 * the instance (its `dispose`, else its variables) and throws a ContractError naming the task.
 */
export function checkInstance(value: unknown, taskName: string): asserts value is TaskInstance {
  const problems: string[] = []
  if (!value || typeof value !== 'object') {
    throw new ContractError(`task "${taskName}": create() returned ${describeValue(value)}; expected a task instance`)
  }
  const inst = value as Record<string, unknown>
  const missing = METHODS.filter((m) => typeof inst[m] !== 'function')
  if (missing.length) problems.push(`${missing.map((m) => `${m}()`).join(', ')} missing (a task instance needs ${METHODS.map((m) => `${m}()`).join(', ')})`)
  const vars = inst.variables
  if (!Array.isArray(vars) || vars.some((v) => !(v instanceof tf.Variable))) problems.push(`variables must be an array of tf.Variable, got ${describeValue(vars)}`)
  const upb = inst.updatesPerBatch
  if (upb !== undefined && !(Number.isInteger(upb) && (upb as number) >= 1)) problems.push(`updatesPerBatch must be a positive integer, got ${describeValue(upb)}`)
  problems.push(...capabilityProblems(inst.capabilities))
  if (problems.length === 0) return
  if (typeof inst.dispose === 'function') (inst.dispose as () => void)()
  else if (Array.isArray(vars)) for (const v of vars) if (v instanceof tf.Variable) v.dispose()
  throw new ContractError(`task "${taskName}": ${problems.join('; ')}`)
}

function capabilityProblems(caps: unknown): string[] {
  if (caps === undefined) return []
  if (!caps || typeof caps !== 'object') return [`capabilities must be an object of capability APIs, got ${describeValue(caps)}`]
  const problems: string[] = []
  for (const [name, api] of Object.entries(caps)) {
    if (!api || typeof api !== 'object') problems.push(`capability "${name}" must be an object (its API), got ${describeValue(api)}`)
  }
  const sources = (caps as ProvidedCapabilities).sources
  if (sources && typeof sources === 'object') {
    const names = sources.names as unknown
    if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string') || new Set(names).size !== names.length) {
      problems.push(`capability "sources": names must be a non-empty array of unique strings, got ${describeValue(names)}`)
    }
    if (!(Number.isInteger(sources.slots) && sources.slots >= 1)) problems.push(`capability "sources": slots must be a positive integer, got ${describeValue(sources.slots)}`)
  }
  return problems
}

/** Every capability each trick requires is provided by the task instance; errors name trick, task and capability. */
export function checkCapabilities(tricks: readonly Trick[], taskName: string, provided: ProvidedCapabilities): void {
  const have = Object.keys(provided)
  for (const t of tricks) {
    for (const cap of t.requires ?? []) {
      if (!(cap in provided)) {
        throw new ContractError(
          `trick "${t.name}" requires capability "${cap}", which task "${taskName}" does not provide (it provides: ${have.length ? have.join(', ') : 'none'})`,
        )
      }
    }
  }
}
