import { existsSync, statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '@converge/core'
import type { ArmSpec, BenchSuite } from '@converge/core/suite'
import { checkSuiteFields } from './suite-checks.js'

/** The bench's configuration: the suites a `converge-bench` invocation can run. */
export interface BenchConfig {
  readonly suites: readonly BenchSuite[]
}

export const DEFAULT_CONFIG_FILES = ['converge-bench.config.ts', 'converge-bench.config.mjs', 'converge-bench.config.js'] as const

/**
 * The suites a run covers: the named ones (in config order), or without names every suite that is
 * not opt-in.
 */
export function selectSuites(suites: readonly BenchSuite[], wanted?: readonly string[]): BenchSuite[] {
  return wanted ? suites.filter((s) => wanted.includes(s.name)) : suites.filter((s) => !s.optIn)
}

/** Identity helper for config files: `export default defineBenchConfig({ suites: [...] })`. */
export function defineBenchConfig(config: BenchConfig): BenchConfig {
  return config
}

/** Finds the config file: the given path, else the first default name in `cwd`. */
export function findConfigFile(cwd: string, explicit?: string): string {
  if (explicit) {
    const p = resolve(cwd, explicit)
    if (!existsSync(p)) throw new ConfigError(`--config: ${p} does not exist`)
    if (statSync(p).isDirectory()) throw new ConfigError(`--config: ${p} is a folder; pass the config file`)
    return p
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const p = resolve(cwd, name)
    if (existsSync(p)) return p
  }
  throw new ConfigError(`no bench config found in ${cwd} (looked for ${DEFAULT_CONFIG_FILES.join(', ')}); pass --config <file>`)
}

const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0

/** Checks one suite's shape; the messages name the suite and the field. */
function checkSuite(s: BenchSuite): void {
  checkSuiteFields(s)
  const where = `suite "${s.name}"`
  if (typeof s.task !== 'function') throw new ConfigError(`${where}: task must be a function (size) => TaskDefinition`)
  if (!Array.isArray(s.arms) || s.arms.length === 0) throw new ConfigError(`${where}: has no arms; give at least the baseline arm`)
  for (const a of s.arms as readonly ArmSpec[]) {
    if (!a || typeof a.name !== 'string' || !a.name) throw new ConfigError(`${where}: every arm needs a name`)
    if (typeof a.tricks !== 'function') throw new ConfigError(`${where}, arm "${a.name}": tricks must be a function (hp) => Trick[]`)
  }
  const armNames = s.arms.map((a: ArmSpec) => a.name)
  if (new Set(armNames).size !== armNames.length) throw new ConfigError(`${where}: arm names must be unique`)
  if (!s.arms.some((a: ArmSpec) => a.name === s.baseline)) {
    throw new ConfigError(`${where}: baseline "${s.baseline}" is not one of its arms (${armNames.join(', ')})`)
  }
  for (const size of ['quick', 'full'] as const) {
    const c = s.sizes?.[size]
    if (!c) throw new ConfigError(`${where}: sizes.${size} is missing`)
    for (const k of ['seeds', 'maxSteps', 'evalEvery'] as const) {
      if (!isPositiveInt(c[k])) throw new ConfigError(`${where}: sizes.${size}.${k} must be a positive integer (got ${JSON.stringify(c[k])})`)
    }
    if (c.tuningSeeds !== undefined && !isPositiveInt(c.tuningSeeds)) throw new ConfigError(`${where}: sizes.${size}.tuningSeeds must be a positive integer`)
    if (c.arms !== undefined) {
      if (!Array.isArray(c.arms)) throw new ConfigError(`${where}: sizes.${size}.arms must be a list of arm names`)
      const unknownArms = c.arms.filter((a: unknown) => !armNames.includes(a as string))
      if (unknownArms.length) throw new ConfigError(`${where}: sizes.${size}.arms names no arm ${unknownArms.map((a: unknown) => JSON.stringify(a)).join(', ')} (arms: ${armNames.join(', ')})`)
    }
    if (c.stopAtTarget !== undefined && typeof c.stopAtTarget !== 'boolean') throw new ConfigError(`${where}: sizes.${size}.stopAtTarget must be true or false`)
    if (c.stopAtTarget && s.target?.kind !== 'explicit') {
      throw new ConfigError(`${where}: sizes.${size}.stopAtTarget needs target { kind: 'explicit' } (a target from the baseline is known only after the baseline's runs)`)
    }
  }
  const t = s.target
  if (!t || (t.kind !== 'explicit' && t.kind !== 'fromBaseline' && t.kind !== 'fromTuning')) throw new ConfigError(`${where}: target must be { kind: 'explicit', target }, { kind: 'fromBaseline', margin } or { kind: 'fromTuning', atFraction }`)
  if (t.kind === 'fromTuning' && !(typeof t.atFraction === 'number' && t.atFraction > 0 && t.atFraction <= 1)) throw new ConfigError(`${where}: target.atFraction must be a number in (0, 1] (got ${JSON.stringify(t.atFraction)})`)
  if (s.crossing !== undefined && s.crossing !== 'raw' && s.crossing !== 'median3') throw new ConfigError(`${where}: crossing must be 'raw' or 'median3' (got ${JSON.stringify(s.crossing)})`)
  if (s.tuneBy !== undefined && s.tuneBy !== 'steps' && s.tuneBy !== 'final') throw new ConfigError(`${where}: tuneBy must be 'steps' or 'final' (got ${JSON.stringify(s.tuneBy)})`)
  if (t.kind === 'fromBaseline' && !(typeof t.margin === 'number' && t.margin >= 0 && t.margin < 1)) throw new ConfigError(`${where}: target.margin must be a number in [0, 1)`)
  if (t.kind === 'explicit' && !(t.target && typeof t.target.metric === 'string' && Number.isFinite(t.target.value) && (t.target.direction === 'min' || t.target.direction === 'max'))) {
    throw new ConfigError(`${where}: target.target must be { metric, direction: 'min' | 'max', value }`)
  }
}

/**
 * What went wrong loading a config, in one line, with the line and column of a syntax error:
 * tsx's esbuild writes `file:line:col: ERROR: …`, vite's oxc a framed `[ file:line:col ]`, a plain
 * SyntaxError keeps the line only in its stack.
 */
function describeLoadError(err: Error, path: string): string {
  const text = err.message.replace(/\x1b\[[0-9;]*m/g, '')
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^at /.test(l))
  const file = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const pos = text.match(new RegExp(`${file}:(\\d+):(\\d+)`)) ?? err.stack?.match(new RegExp(`${file}:(\\d+)()`))
  const what = (lines.find((l) => !/^Transform failed/.test(l)) ?? err.message)
    .replace(new RegExp(`^.*${file}:\\d+:\\d+:\\s*`), '')
    .replace(/^(ERROR: |\[PARSE_ERROR\] )/, '')
  if (pos && /Transform|Syntax/.test(`${err.name} ${text}`)) return `syntax error at line ${pos[1]}${pos[2] ? `, column ${pos[2]}` : ''}: ${what}`
  return `${err.name === 'Error' ? '' : `${err.name}: `}${what}`
}

/**
 * Imports a config file and checks its shape (suite names unique, arms, baselines, sizes,
 * targets). Every problem, including a config that fails to import or throws while loading, is
 * a ConfigError whose message starts with the file's path.
 */
export async function loadConfig(path: string): Promise<BenchConfig> {
  let mod: { default?: BenchConfig }
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: BenchConfig }
  } catch (e) {
    throw new ConfigError(`${path}: the config failed to load: ${describeLoadError(e as Error, path)}`)
  }
  const config = mod.default
  if (!config || !Array.isArray(config.suites)) throw new ConfigError(`${path}: the default export must be defineBenchConfig({ suites: [...] })`)
  if (config.suites.length === 0) throw new ConfigError(`${path}: suites is empty; list at least one suite in defineBenchConfig({ suites: [...] })`)
  const names = new Set<string>()
  try {
    for (const s of config.suites as readonly BenchSuite[]) {
      if (!s || typeof s.name !== 'string') throw new ConfigError('every suite needs a name')
      if (names.has(s.name)) throw new ConfigError(`two suites are named "${s.name}"`)
      names.add(s.name)
      checkSuite(s)
    }
  } catch (e) {
    throw new ConfigError(`${path}: ${(e as Error).message}`)
  }
  return config
}
