import { BUILT_IN_CAPABILITIES } from '../capabilities/index.js'
import { ContractError } from '../errors.js'
import { describeValue } from '../describe-value.js'
import type { Trick } from '../trick.js'
import { HOOKS, HOOK_NAMES, type HookName } from './table.js'

/** Methods of a trick that are not hooks. */
const TRICK_METHODS = ['state', 'loadState', 'dispose'] as const
const KNOWN = new Set<string>([...HOOK_NAMES, ...TRICK_METHODS])
const HOOK_LIKE = /^(on|before|after)[A-Z]/

/**
 * Checks the tricks of a run against the contract before any work: each is an object with a
 * unique non-empty name, its hooks are functions, `requires` is an array of capability names, no
 * function-valued field looks like a misspelt hook, and no two tricks claim an exclusive hook.
 */
export function validateTricks(tricks: readonly unknown[]): asserts tricks is readonly Trick[] {
  const seen = new Set<string>()
  for (const [i, t] of tricks.entries()) {
    if (!t || typeof t !== 'object' || typeof (t as Trick).name !== 'string' || (t as Trick).name.length === 0) {
      throw new ContractError(`tricks[${i}] is not a trick: expected an object with a non-empty string "name", got ${describeValue(t)}`)
    }
    const trick = t as Trick & Record<string, unknown>
    const who = `trick "${trick.name}"`
    if (seen.has(trick.name)) throw new ContractError(`two tricks are named "${trick.name}": trick names must be unique within a run`)
    seen.add(trick.name)
    for (const key of KNOWN) {
      const value = trick[key]
      if (value !== undefined && typeof value !== 'function') {
        throw new ContractError(`${who}: "${key}" must be a function, got ${describeValue(value)}`)
      }
    }
    for (const [key, value] of Object.entries(trick)) {
      if (typeof value !== 'function' || KNOWN.has(key)) continue
      const near = nearestName(key)
      if (near) throw new ContractError(`${who}: "${key}" is not a hook; did you mean "${near}"? (hooks: ${HOOK_NAMES.join(', ')})`)
      // Named like a hook (onStep, beforeEval, ...) but none: it would silently never run.
      if (HOOK_LIKE.test(key)) throw new ContractError(`${who}: "${key}" is not a hook and would never be called (hooks: ${HOOK_NAMES.join(', ')})`)
    }
    const options: unknown = trick.options
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw new ContractError(`${who}: "options" must be an object (the options it was made with), got ${describeValue(options)}`)
    }
    const requires: unknown = trick.requires
    if (requires !== undefined) {
      if (!Array.isArray(requires) || requires.some((c) => typeof c !== 'string')) {
        throw new ContractError(
          `${who}: "requires" must be an array of capability names (e.g. ['rewards']), got ${describeValue(requires)}; built-in capabilities: ${BUILT_IN_CAPABILITIES.join(', ')}`,
        )
      }
    }
  }
  const valid = tricks as readonly Trick[]
  for (const hook of HOOK_NAMES) {
    if (HOOKS[hook].kind !== 'exclusive') continue
    const claimants = valid.filter((t) => typeof t[hook] === 'function')
    if (claimants.length > 1) {
      throw new ContractError(
        `tricks ${claimants.map((t) => `"${t.name}"`).join(' and ')} both supply the exclusive hook "${hook}"; use only one of them in a run`,
      )
    }
  }
}

/** A hook or trick-method name that `key` is probably a misspelling of (case, or one or two letters off). */
function nearestName(key: string): HookName | (typeof TRICK_METHODS)[number] | null {
  const lower = key.toLowerCase()
  for (const name of KNOWN) {
    if (name.toLowerCase() === lower) return name as HookName
    const allowed = name.length >= 8 ? 2 : 1
    if (Math.abs(name.length - key.length) <= allowed && editDistance(name.toLowerCase(), lower) <= allowed) return name as HookName
  }
  return null
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length] as number
}
