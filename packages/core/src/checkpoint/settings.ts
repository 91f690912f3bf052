import { createHash } from 'node:crypto'
import type { Run } from '../loop/run.js'

/**
 * What decides a run's numbers: task and options, tricks and options, seed, step budget,
 * evaluation cadence, target, optimizer, backend. A checkpoint records them; resuming under
 * different ones is refused, since the continuation would not be the run that was interrupted.
 */
export function runSettings(run: Run): Record<string, unknown> {
  const o = run.o
  return canonical({
    task: { name: o.task.name, options: o.task.options },
    tricks: o.tricks.map((t) => ({ name: t.name, options: t.options ?? {} })),
    seed: o.seed,
    maxSteps: o.maxSteps,
    evalEvery: o.evalEvery,
    // Only when set, so checkpoints written before the option existed still match.
    accumulate: o.accumulate === 1 ? undefined : o.accumulate,
    target: run.target,
    stopAtTarget: o.stopAtTarget,
    optimizer: run.baseOptimizer,
    backend: run.backend.name,
    tunedWasm: run.backend.name === 'wasm' ? o.tunedWasm : null,
  }) as Record<string, unknown>
}

/** Plain data with sorted keys (functions by name, NaN and infinities as strings), so equal settings hash equally. */
function canonical(value: unknown): unknown {
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    )
  }
  return value
}

export function settingsHash(settings: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex')
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Dotted paths of the leaves that differ (`task.options.trainSize`), descending into objects and same-length arrays. */
function differingPaths(saved: unknown, now: unknown, path: string, out: { path: string; saved: unknown; now: unknown }[]): void {
  if (JSON.stringify(saved) === JSON.stringify(now)) return
  const nest = (k: string | number) => (path ? `${path}.${k}` : String(k))
  // Objects of another kind (an adam spec → an sgd spec) are shown whole.
  if (isRecord(saved) && isRecord(now) && saved.name === now.name) {
    for (const k of [...new Set([...Object.keys(saved), ...Object.keys(now)])]) differingPaths(saved[k], now[k], nest(k), out)
  } else if (Array.isArray(saved) && Array.isArray(now) && saved.length === now.length) {
    saved.forEach((v, i) => differingPaths(v, now[i], nest(i), out))
  } else out.push({ path: path || '(settings)', saved, now })
}

/**
 * The settings that differ, one per changed value with its full path, as `path: saved → now`
 * (e.g. `task.options.trainSize: 1024 → 2048`), for an error message; at most `limit` of them.
 */
export function settingsDiff(saved: Record<string, unknown>, now: Record<string, unknown>, limit = 8): string[] {
  const short = (v: unknown) => {
    const s = JSON.stringify(v) ?? 'undefined'
    return s.length > 120 ? `${s.slice(0, 117)}...` : s
  }
  const diffs: { path: string; saved: unknown; now: unknown }[] = []
  differingPaths(saved, now, '', diffs)
  const lines = diffs.slice(0, limit).map((d) => `${d.path}: ${short(d.saved)} → ${short(d.now)}`)
  return diffs.length > limit ? [...lines, `and ${diffs.length - limit} more`] : lines
}
