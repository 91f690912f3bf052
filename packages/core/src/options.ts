import type { z } from 'zod'
import { ConfigError } from './errors.js'

function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function'
  if (value === undefined) return 'undefined'
  try {
    const text = JSON.stringify(value)
    return text.length > 80 ? `${text.slice(0, 77)}...` : text
  } catch {
    return String(value)
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[key]
  }
  return v
}

/**
 * Validates `value` against `schema`; on failure throws a ConfigError whose message names each bad
 * field, the value it got and what is allowed (zod's message), e.g.
 * `train options: maxSteps: got -3; Too small: expected number to be >0`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const lines = result.error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.map(String).join('.') : '(options)'
    return `${field}: got ${describeValue(valueAt(value, issue.path))}; ${issue.message}`
  })
  throw new ConfigError(`${what}: ${lines.join('; ')}`)
}
