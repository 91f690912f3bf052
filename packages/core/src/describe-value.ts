/**
 * A short, readable rendering of a value for error messages: JSON-like, but NaN, ±Infinity,
 * undefined, functions, tensors and bigints are shown as themselves rather than `null`.
 */
export function describeValue(value: unknown): string {
  const text = render(value, 0)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function render(value: unknown, depth: number): string {
  if (typeof value === 'function') return 'a function'
  if (value === undefined) return 'undefined'
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : String(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null || typeof value !== 'object') return String(value)
  if (isTensorLike(value)) return `a ${value.dtype} tensor of shape [${value.shape.join(', ')}]`
  if (depth > 3) return Array.isArray(value) ? '[...]' : '{...}'
  if (Array.isArray(value)) return `[${value.map((v) => render(v, depth + 1)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${render(v, depth + 1)}`)
  return `{${entries.join(',')}}`
}

function isTensorLike(v: object): v is { dtype: string; shape: number[] } {
  return 'dataId' in v && 'shape' in v && 'dtype' in v
}
