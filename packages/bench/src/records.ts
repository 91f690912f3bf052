import { createHash } from 'node:crypto'
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import type { AppliedTrick, BackendInfo, EvalRecord, Target } from '@converge/core'
import type { BenchSize, Hyperparams, RunExtras } from '@converge/core/suite'
import type { JobKind } from './job.js'

/** The current record format; lines of other formats are ignored (and rerun). */
export const RECORD_FORMAT = 2

/** One completed run, as stored (one JSON line) in results.jsonl. */
export interface RunRecord {
  readonly format: typeof RECORD_FORMAT
  /** `run`: a reported run; `tune`: a run on a tuning seed at one grid point. */
  readonly kind: JobKind
  readonly suite: string
  readonly arm: string
  readonly seed: number
  /** Hyperparameters the run used ({} for an arm without a grid). */
  readonly hp: Hyperparams
  readonly size: BenchSize
  /** Hash of everything that defines the run except the seed: a changed setting never reuses old runs. */
  readonly configHash: string
  /** Hash of the source code the run executed: changed code never reuses old runs. */
  readonly sourceHash: string
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

/** A line of results.jsonl that is not a record (edited by hand, or a disk problem). */
export class CorruptResultsError extends Error {
  override name = 'CorruptResultsError'
  constructor(
    readonly path: string,
    readonly lines: readonly number[],
  ) {
    super(
      `${path}: line${lines.length > 1 ? 's' : ''} ${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''} ${lines.length > 1 ? 'are' : 'is'} not valid JSON records. ` +
        `Rerun with --drop-corrupt-lines to move them to ${path}.corrupt and continue, or fix the file by hand.`,
    )
  }
}

const isRecordLike = (v: unknown): v is { format: number } =>
  typeof v === 'object' && v !== null && typeof (v as { format?: unknown }).format === 'number'

/**
 * Reads results.jsonl. A run killed while writing can leave a partial last line: it is cut off
 * (the file is truncated to its last complete line), so resuming never sees half a record. Any
 * other line that is not a JSON record throws CorruptResultsError naming the file and lines,
 * unless `dropCorrupt` is set: then those lines are moved to `<path>.corrupt`. Records of other
 * formats are skipped (their runs are redone).
 */
export function readRecords(path: string, options: { dropCorrupt?: boolean } = {}): RunRecord[] {
  if (!existsSync(path)) return []
  const text = readFileSync(path, 'utf8')
  const end = text.lastIndexOf('\n') + 1
  if (end < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, end)))
  const records: RunRecord[] = []
  const bad: number[] = []
  const kept: string[] = []
  text
    .slice(0, end)
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return
      let rec: unknown
      try {
        rec = JSON.parse(line)
      } catch {
        rec = undefined
      }
      if (!isRecordLike(rec)) {
        bad.push(i + 1)
        return
      }
      kept.push(line)
      if (rec.format === RECORD_FORMAT) records.push(rec as unknown as RunRecord)
    })
  if (bad.length && !options.dropCorrupt) throw new CorruptResultsError(path, bad)
  if (bad.length) {
    const lines = text.split('\n')
    appendFileSync(`${path}.corrupt`, bad.map((n) => `${lines[n - 1]}\n`).join(''))
    writeFileSync(path, kept.map((l) => `${l}\n`).join(''))
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
