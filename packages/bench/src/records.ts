import { createHash } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs'
import type { AppliedTrick, BackendInfo, EvalRecord, Target } from '@converge/core'
import type { BenchSize, RunExtras } from '@converge/core/suite'

/** One completed run, as stored (one JSON line) in results.jsonl. */
export interface RunRecord {
  readonly format: 1
  readonly suite: string
  readonly arm: string
  readonly seed: number
  readonly size: BenchSize
  /** Hash of everything that defines the run except the seed: a changed setting never reuses old runs. */
  readonly configHash: string
  readonly task: { readonly name: string; readonly options: Readonly<Record<string, unknown>> }
  /** Tricks in applied order, with their options. */
  readonly tricks: readonly AppliedTrick[]
  readonly optimizer: Readonly<Record<string, unknown>> | null
  readonly backend: BackendInfo
  readonly maxSteps: number
  readonly evalEvery: number
  readonly result: {
    readonly history: readonly EvalRecord[]
    readonly steps: number
    readonly trainMs: number
    readonly evalMs: number
    /** Steps-to-target for the task's own target (the bench recomputes it for the suite's target). */
    readonly taskTarget: Target
    readonly taskStepsToTarget: number | null
    readonly stopReason: string | null
    /** Set when the run diverged (non-finite loss): it counts as not reaching the target. */
    readonly diverged: { readonly step: number; readonly message: string } | null
  }
  readonly extras: RunExtras
  readonly provenance: {
    readonly packages: Readonly<Record<string, string>>
    readonly gitRevision: string | null
    readonly node: string
    readonly completedAt: string
  }
}

/** Canonical JSON (sorted keys) so equal settings always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

export function configHash(settings: unknown): string {
  return createHash('sha256').update(canonicalJson(settings)).digest('hex').slice(0, 16)
}

/**
 * Reads results.jsonl. A run killed while writing can leave a partial last line: it is cut off
 * (the file is truncated to its last complete line), so resuming never sees half a record.
 */
export function readRecords(path: string): RunRecord[] {
  if (!existsSync(path)) return []
  const text = readFileSync(path, 'utf8')
  const end = text.lastIndexOf('\n') + 1
  if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)))
  const records: RunRecord[] = []
  for (const line of text.slice(0, end).split('\n')) {
    if (!line.trim()) continue
    const rec = JSON.parse(line) as RunRecord
    if (rec.format === 1) records.push(rec)
  }
  return records
}

/** Appends one record as a single write of one line, then fsyncs, so a completed run is never lost. */
export function appendRecord(path: string, record: RunRecord): void {
  const fd = openSync(path, 'a')
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`) // non-finite numbers are stored as null
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
