import type { z } from 'zod'
import { describeValue } from './describe-value.js'
import { ConfigError } from './errors.js'

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[key]
  }
  return v
}

interface SchemaInternals {
  _zod?: {
    def?: { type?: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown; element?: unknown; options?: unknown[]; discriminator?: string }
  }
}

/** The branch of a discriminated union that `value`'s discriminator names. */
function unionBranch(def: NonNullable<NonNullable<SchemaInternals['_zod']>['def']>, value: unknown): SchemaInternals | undefined {
  const key = def.discriminator
  const tag = key && value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined
  return (def.options as SchemaInternals[]).find((o) => {
    const lit = (o._zod?.def?.shape?.[key ?? ''] as { _zod?: { def?: { values?: unknown[] } } } | undefined)?._zod?.def?.values
    return lit?.includes(tag)
  })
}

/** The keys an object schema allows at `path`, looking through defaults, optionals and pipes; null if unknown. */
function allowedKeysAt(schema: unknown, path: readonly PropertyKey[], root: unknown): string[] | null {
  let s = schema as SchemaInternals | undefined
  let i = 0
  while (s?._zod?.def) {
    const def = s._zod.def
    if (def.innerType) s = def.innerType as SchemaInternals
    else if (def.type === 'union' && def.discriminator && def.options) s = unionBranch(def, valueAt(root, path.slice(0, i)))
    else if (def.type === 'pipe' && def.in) s = def.in as SchemaInternals
    else if (def.type === 'object' && def.shape) {
      if (i === path.length) return Object.keys(def.shape)
      s = def.shape[String(path[i++])] as SchemaInternals
    } else if (def.type === 'array' && def.element && i < path.length) {
      i++
      s = def.element as SchemaInternals
    } else return null
  }
  return null
}

/** The candidate nearest to `key` (a prefix either way, or a small edit distance), or null when none is near. */
export function closest(key: string, candidates: readonly string[]): string | null {
  const lower = key.toLowerCase()
  let best: string | null = null
  let bestScore = Infinity
  for (const c of candidates) {
    const cl = c.toLowerCase()
    const initials = c.replace(/(^.|[A-Z])[a-z0-9]*/g, '$1').toLowerCase() // learningRate -> lr
    const score = cl === lower || initials === lower ? 0 : cl.startsWith(lower) || lower.startsWith(cl) ? 1 : distance(cl, lower)
    if (score < bestScore) [best, bestScore] = [c, score]
  }
  return bestScore <= Math.max(2, Math.floor(key.length / 4)) ? best : null
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

/**
 * Validates `value` against `schema`; on failure throws a ConfigError whose message names each bad
 * field, the value it got and what is allowed (zod's message), e.g.
 * `train options: maxSteps: got -3; Too small: expected number to be >0`. Unknown keys are named
 * with the nearest allowed key.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const lines = result.error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.map(String).join('.') : '(options)'
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(schema, issue.path, value) ?? []
      const named = issue.keys.map((k) => {
        const near = closest(k, allowed)
        return near ? `"${k}" (did you mean "${near}"?)` : `"${k}"`
      })
      const where = issue.path.length ? `${field}: ` : ''
      return `${where}unknown option${named.length > 1 ? 's' : ''} ${named.join(', ')}${allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`
    }
    return `${field}: got ${describeValue(valueAt(value, issue.path))}; ${issue.message}`
  })
  throw new ConfigError(`${what}: ${lines.join('; ')}`)
}
