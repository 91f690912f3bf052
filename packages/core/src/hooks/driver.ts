import type { TraceEvent } from '../result.js'
import type { Trick } from '../trick.js'
import { HOOKS, HOOK_NAMES, type ChainedHook, type ExclusiveHook, type HookName, type NotifyHook, type TrickHooks } from './table.js'

type Rest<K extends HookName> = Parameters<TrickHooks[K]> extends [unknown, ...infer R] ? R : never
type Value<K extends ChainedHook> = Rest<K>[0]
type Extra<K extends ChainedHook> = Rest<K> extends [unknown, ...infer E] ? E : never
type SyncHook = { [K in HookName]: (typeof HOOKS)[K]['async'] extends false ? K : never }[HookName]

/** The context a trick's hooks receive; each trick has its own. */
export type ContextOf = (trick: Trick) => unknown

/**
 * Calls the tricks' hooks as the hook table says: in trick order (reverse order for `reversed`
 * hooks), chaining values for `chained` hooks, skipping hooks that do not run on setup-phase steps
 * while a phase runs, and tracing each call as `trick/<name>/<hook>`. One dispatcher per kind,
 * so the loop never hand-writes a loop over tricks.
 */
export class TrickDriver {
  private readonly byHook = new Map<HookName, readonly Trick[]>()
  /** True while a setup phase runs its steps. */
  inPhase = false

  constructor(
    readonly tricks: readonly Trick[],
    private readonly contextOf: ContextOf,
    private readonly stepOf: () => number,
    private readonly trace: ((event: TraceEvent) => void) | null,
  ) {
    for (const hook of HOOK_NAMES) {
      const having = tricks.filter((t) => typeof t[hook] === 'function')
      this.byHook.set(hook, HOOKS[hook].reversed ? having.reverse() : having)
    }
  }

  /** Tricks that implement `hook` and run now, in calling order. */
  private callers(hook: HookName): readonly Trick[] {
    if (this.inPhase && !HOOKS[hook].phases) return []
    return this.byHook.get(hook) as readonly Trick[]
  }

  has(hook: HookName): boolean {
    return this.callers(hook).length > 0
  }

  private call(trick: Trick, hook: HookName, args: readonly unknown[]): unknown {
    this.trace?.({ label: `trick/${trick.name}/${hook}`, trick: trick.name, hook, step: this.stepOf() })
    return (trick[hook] as (...a: unknown[]) => unknown).call(trick, this.contextOf(trick), ...args)
  }

  /** The single trick implementing an exclusive hook, if any. */
  exclusive<K extends ExclusiveHook>(hook: K): ((...args: Rest<K>) => ReturnType<TrickHooks[K]>) | undefined {
    const trick = this.callers(hook)[0]
    if (!trick) return undefined
    return (...args) => this.call(trick, hook, args) as ReturnType<TrickHooks[K]>
  }

  /** The trick implementing an exclusive hook, if any. */
  owner(hook: ExclusiveHook): Trick | undefined {
    return this.callers(hook)[0]
  }

  /** Calls one trick's implementation of `hook` (for hooks the loop runs trick by trick, like setup). */
  async callEach<K extends NotifyHook>(hook: K, before: (trick: Trick) => void, after: () => void, ...args: Rest<K>): Promise<void> {
    for (const t of this.callers(hook)) {
      before(t)
      try {
        const r = this.call(t, hook, args)
        if (r instanceof Promise) await r
      } finally {
        after()
      }
    }
  }

  notify<K extends NotifyHook & SyncHook>(hook: K, ...args: Rest<K>): void {
    for (const t of this.callers(hook)) this.call(t, hook, args)
  }

  /** Calls every implementation in order, awaiting those that return a promise; undefined when nothing is left to await (no microtask on the hot path). */
  notifyAsync<K extends NotifyHook>(hook: K, ...args: Rest<K>): Promise<void> | undefined {
    const callers = this.callers(hook)
    for (let i = 0; i < callers.length; i++) {
      const r = this.call(callers[i] as Trick, hook, args)
      if (r instanceof Promise) return this.finishAsync(r, callers.slice(i + 1), hook, args)
    }
    return undefined
  }

  private async finishAsync(pending: Promise<unknown>, rest: readonly Trick[], hook: HookName, args: readonly unknown[]): Promise<void> {
    await pending
    for (const t of rest) {
      const r = this.call(t, hook, args)
      if (r instanceof Promise) await r
    }
  }

  /** Passes `value` through every implementation; `check` sees each trick's result before the next. */
  chain<K extends ChainedHook & SyncHook>(hook: K, value: Value<K>, extra: Extra<K>, check?: (value: Value<K>, trick: Trick) => void): Value<K> {
    let current = value
    for (const t of this.callers(hook)) {
      const r = this.call(t, hook, [current, ...extra]) as Value<K> | undefined
      if (r !== undefined) current = r
      check?.(current, t)
    }
    return current
  }

  async chainAsync<K extends ChainedHook>(hook: K, value: Value<K>, extra: Extra<K>, check?: (value: Value<K>, trick: Trick) => void): Promise<Value<K>> {
    let current = value
    for (const t of this.callers(hook)) {
      const r = this.call(t, hook, [current, ...extra])
      const resolved = (r instanceof Promise ? await r : r) as Value<K> | undefined
      if (resolved !== undefined) current = resolved
      check?.(current, t)
    }
    return current
  }
}
