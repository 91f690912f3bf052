import * as fs from 'node:fs'
import * as path from 'node:path'
import type { StepReport } from '../step-report.js'
import type { Metrics } from '../task.js'
import { makeDir } from '../files/make-dir.js'

/** One row: a step (loss terms, rate, time) and, at evaluated steps, the evaluation's metrics. */
interface Row {
  step: number
  phase: string
  lr?: number
  loss?: number
  parts?: Record<string, number>
  metrics?: Metrics
  ms?: number
}

const FIXED = ['step', 'phase', 'lr', 'loss'] as const

/**
 * The run's metrics file (`metricsFile`): one row per optimizer step — step, phase, learning
 * rate, loss, each loss term (`loss.<name>`), the step's wall time in ms — plus the evaluation's
 * metrics (`eval.<name>`) on the rows of evaluated steps (step 0: metrics only). `.jsonl`: one JSON
 * object a line, terms under `parts`, metrics under `metrics`; `.csv`: a header and one line a row
 * (a column that appears later, e.g. a trick's loss term, rewrites the file with the wider header).
 * Rows are written in batches, at every evaluation and at the end; a resumed run keeps the rows up
 * to its checkpoint's step and continues from there.
 */
export class MetricsFile {
  private readonly csv: boolean
  private readonly rows: Row[] = []
  private pending: Row | null = null
  private written = 0
  private columns: string[] = []

  constructor(readonly file: string) {
    this.csv = file.endsWith('.csv')
    makeDir(path.dirname(path.resolve(file)), 'metricsFile')
    fs.writeFileSync(file, '')
  }

  /** Continues a file a resumed run wrote: keeps the rows of steps up to `step`. */
  static resumed(file: string, step: number): MetricsFile {
    const old = fs.existsSync(file) ? readRows(file) : []
    const m = new MetricsFile(file)
    m.rows.push(...old.filter((r) => r.step <= step))
    m.writeAll()
    return m
  }

  step(report: StepReport, ms: number): void {
    this.settle()
    this.pending = { step: report.step, phase: report.phase.name, lr: report.learningRate, loss: report.loss, parts: { ...report.lossParts, ...report.reported }, ms }
  }

  evaluated(step: number, metrics: Metrics): void {
    if (this.pending?.step === step) this.pending.metrics = { ...metrics }
    else {
      this.settle()
      this.pending = { step, phase: 'main', metrics: { ...metrics } }
    }
    this.settle()
    this.flush()
  }

  /** Writes every row not yet written. */
  flush(): void {
    this.settle()
    if (this.written === this.rows.length) return
    if (!this.csv) {
      fs.appendFileSync(this.file, this.rows.slice(this.written).map((r) => `${JSON.stringify(r)}\n`).join(''))
      this.written = this.rows.length
      return
    }
    const columns = csvColumns(this.rows)
    if (columns.join(',') !== this.columns.join(',')) this.writeAll()
    else {
      fs.appendFileSync(this.file, this.rows.slice(this.written).map((r) => csvLine(r, columns)).join(''))
      this.written = this.rows.length
    }
  }

  private settle(): void {
    if (!this.pending) return
    this.rows.push(this.pending)
    this.pending = null
    if (this.rows.length - this.written >= 100) this.flush()
  }

  private writeAll(): void {
    if (this.csv) {
      this.columns = csvColumns(this.rows)
      fs.writeFileSync(this.file, this.rows.length ? `${this.columns.join(',')}\n${this.rows.map((r) => csvLine(r, this.columns)).join('')}` : '')
    } else fs.writeFileSync(this.file, this.rows.map((r) => `${JSON.stringify(r)}\n`).join(''))
    this.written = this.rows.length
  }
}

function csvColumns(rows: readonly Row[]): string[] {
  const parts = new Set<string>()
  const metrics = new Set<string>()
  for (const r of rows) {
    for (const k of Object.keys(r.parts ?? {})) parts.add(k)
    for (const k of Object.keys(r.metrics ?? {})) metrics.add(k)
  }
  return [...FIXED, ...[...parts].map((k) => `loss.${k}`), ...[...metrics].map((k) => `eval.${k}`), 'ms']
}

const csvCell = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v))

function csvLine(r: Row, columns: readonly string[]): string {
  return `${columns
    .map((c) => {
      if (c.startsWith('loss.')) return csvCell(r.parts?.[c.slice(5)])
      if (c.startsWith('eval.')) return csvCell(r.metrics?.[c.slice(5)])
      return csvCell(r[c as keyof Row])
    })
    .join(',')}\n`
}

/** Reads back a metrics file (for a resumed run). */
function readRows(file: string): Row[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0)
  if (!file.endsWith('.csv')) return lines.flatMap((l) => { try { return [JSON.parse(l) as Row] } catch { return [] } })
  const [header, ...body] = lines
  if (!header) return []
  const columns = header.split(',')
  return body.map((line) => {
    const cells = line.split(',')
    const row: Row = { step: Number(cells[0]), phase: String(cells[1]) }
    columns.forEach((c, i) => {
      const cell = cells[i]
      if (i < 2 || cell === undefined || cell === '') return
      const v = Number(cell)
      if (c.startsWith('loss.')) (row.parts ??= {})[c.slice(5)] = v
      else if (c.startsWith('eval.')) (row.metrics ??= {})[c.slice(5)] = v
      else (row as unknown as Record<string, number>)[c] = v
    })
    return row
  })
}
