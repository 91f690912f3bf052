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

/** The top-level settings that differ, as `name: saved → now`, for an error message. */
export function settingsDiff(saved: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])]
  const short = (v: unknown) => {
    const s = JSON.stringify(v) ?? 'undefined'
    return s.length > 120 ? `${s.slice(0, 117)}...` : s
  }
  return keys.filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k])).map((k) => `${k}: ${short(saved[k])} → ${short(now[k])}`)
}
