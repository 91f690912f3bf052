import { pino, type Logger, type DestinationStream, type Level } from 'pino'

export type { Logger }
export type LogLevel = Level | 'silent'

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

/**
 * A pino destination that prints one readable line per record (`12:03:04 info  step 200/1000 loss=0.41`)
 * instead of JSON, for terminals. Structured fields follow the message as key=value.
 */
export function readableDestination(write: (line: string) => void = (l) => process.stderr.write(l)): DestinationStream {
  return {
    write(json: string) {
      let rec: Record<string, unknown>
      try {
        rec = JSON.parse(json) as Record<string, unknown>
      } catch {
        write(json)
        return
      }
      const { level, time, msg, pid: _pid, hostname: _host, ...rest } = rec
      const t = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 19)
      const fields = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')
      const name = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5)
      write(`${t} ${name} ${msg ?? ''}${fields ? ` ${fields}` : ''}\n`)
    },
  }
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v)
  const a = Math.abs(v)
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4)
}

/**
 * The library's logger: JSON to stdout by default (pino), or readable lines to stderr for CLIs.
 * Training is silent unless a level is asked for.
 */
export function createLogger(options: { level?: LogLevel; readable?: boolean } = {}): Logger {
  const level = options.level ?? 'silent'
  return options.readable ? pino({ level, base: undefined }, readableDestination()) : pino({ level, base: undefined })
}

/** A logger that drops everything. */
export const silentLogger: Logger = pino({ level: 'silent' })
