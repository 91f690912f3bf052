import { ContractError } from './errors.js'
import type { TraceEvent } from './result.js'
import type { TaskDefinition } from './task.js'
import { EXCLUSIVE_HOOKS, HOOK_ORDER, REVERSED_HOOKS, type HookName, type Trick } from './trick.js'

type TraceSink = (event: TraceEvent) => void

/**
 * Holds the tricks of one run: checks that they fit the task and each other before step 0, and
 * calls their hooks in the documented order (reverse order for after-hooks), tracing each call.
 */
export class TrickEngine {
  private readonly byHook = new Map<HookName, readonly Trick[]>()

  constructor(
    readonly tricks: readonly Trick[],
    task: TaskDefinition,
    private readonly trace: TraceSink | null,
  ) {
    checkTricks(tricks, task)
    for (const hook of HOOK_ORDER) {
      const having = tricks.filter((t) => typeof t[hook] === 'function')
      this.byHook.set(hook, REVERSED_HOOKS.includes(hook) ? having.reverse() : having)
    }
  }

  /** Tricks implementing `hook`, in calling order. */
  having(hook: HookName): readonly Trick[] {
    return this.byHook.get(hook) ?? []
  }

  /** The single trick implementing an exclusive hook, if any. */
  exclusive(hook: HookName): Trick | undefined {
    return this.having(hook)[0]
  }

  /** Records a hook call on the trace (a no-op unless tracing is on). */
  traced(trick: Trick, hook: HookName, step: number): void {
    this.trace?.({ label: `trick/${trick.name}/${hook}`, trick: trick.name, hook, step })
  }
}

function checkTricks(tricks: readonly Trick[], task: TaskDefinition): void {
  const seen = new Set<string>()
  for (const [i, t] of tricks.entries()) {
    if (!t || typeof t !== 'object' || typeof t.name !== 'string' || t.name.length === 0) {
      throw new ContractError(`tricks[${i}] is not a trick: expected an object with a non-empty string "name"`)
    }
    if (seen.has(t.name)) {
      throw new ContractError(`two tricks are named "${t.name}": trick names must be unique within a run`)
    }
    seen.add(t.name)
    for (const cap of t.requires ?? []) {
      if (!task.capabilities.includes(cap)) {
        throw new ContractError(
          `trick "${t.name}" requires capability "${cap}", which task "${task.name}" does not provide ` +
            `(it provides: ${task.capabilities.length ? task.capabilities.join(', ') : 'none'})`,
        )
      }
    }
  }
  for (const hook of EXCLUSIVE_HOOKS) {
    const claimants = tricks.filter((t) => typeof t[hook] === 'function')
    if (claimants.length > 1) {
      throw new ContractError(
        `tricks ${claimants.map((t) => `"${t.name}"`).join(' and ')} both supply the exclusive hook "${hook}"; ` +
          'use only one of them in a run',
      )
    }
  }
}
