import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '@converge/core'
import type { ArmSpec, BenchSuite } from '@converge/core/suite'

/** The bench's configuration: the suites a `converge-bench` invocation can run. */
export interface BenchConfig {
  readonly suites: readonly BenchSuite[]
}

export const DEFAULT_CONFIG_FILES = ['converge-bench.config.ts', 'converge-bench.config.mjs', 'converge-bench.config.js'] as const

/** Identity helper for config files: `export default defineBenchConfig({ suites: [...] })`. */
export function defineBenchConfig(config: BenchConfig): BenchConfig {
  return config
}

/** Finds the config file: the given path, else the first default name in `cwd`. */
export function findConfigFile(cwd: string, explicit?: string): string {
  if (explicit) {
    const p = resolve(cwd, explicit)
    if (!existsSync(p)) throw new ConfigError(`--config: ${p} does not exist`)
    return p
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const p = resolve(cwd, name)
    if (existsSync(p)) return p
  }
  throw new ConfigError(`no bench config found in ${cwd} (looked for ${DEFAULT_CONFIG_FILES.join(', ')}); pass --config <file>`)
}

/** Imports a config file and checks its shape (suite names unique, baselines among the arms). */
export async function loadConfig(path: string): Promise<BenchConfig> {
  const mod = (await import(pathToFileURL(path).href)) as { default?: BenchConfig }
  const config = mod.default
  if (!config || !Array.isArray(config.suites)) throw new ConfigError(`${path}: the default export must be defineBenchConfig({ suites: [...] })`)
  const names = new Set<string>()
  for (const s of config.suites as readonly BenchSuite[]) {
    if (!s || typeof s.name !== 'string') throw new ConfigError(`${path}: every suite needs a name`)
    if (names.has(s.name)) throw new ConfigError(`${path}: two suites are named "${s.name}"`)
    names.add(s.name)
    if (!s.arms.some((a: ArmSpec) => a.name === s.baseline)) {
      throw new ConfigError(`suite "${s.name}": baseline "${s.baseline}" is not one of its arms (${s.arms.map((a: ArmSpec) => a.name).join(', ')})`)
    }
    const armNames = s.arms.map((a: ArmSpec) => a.name)
    if (new Set(armNames).size !== armNames.length) throw new ConfigError(`suite "${s.name}": arm names must be unique`)
  }
  return config
}
