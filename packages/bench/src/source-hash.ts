import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

/** Folders whose files never change what a run computes. */
const SKIP_DIRS = new Set(['node_modules', 'dist', 'test', 'tests', '.git', 'bench-results', 'coverage'])
const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs|json)$/

function walk(dir: string, files: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(p, files)
    } else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !/\.test\.[cm]?[jt]s$/.test(entry.name)) {
      files.push(p)
    }
  }
}

/** The folder holding `packages/` above the config file (a workspace checkout), if any. */
function workspaceRoot(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'packages')) && statSync(join(dir, 'packages')).isDirectory()) return dir
    if (dirname(dir) === dir) return null
  }
}

/**
 * Hash of the code a bench run executes: the config file and, in a workspace checkout, every
 * source file under `packages/` (tests, docs, build output and node_modules left out); elsewhere,
 * every installed `@converge/*` package next to the config. Editing any of it changes the hash,
 * so cached runs made with other code are rerun. It is coarse on purpose: a run's imports are not
 * traced, so editing one package reruns every suite.
 */
export function sourceHash(configPath: string | null, from: string = configPath ? dirname(configPath) : process.cwd()): string {
  const root = workspaceRoot(from)
  const files: string[] = []
  const base = root ?? from
  if (root) walk(join(root, 'packages'), files)
  else {
    const installed = join(from, 'node_modules', '@converge')
    if (existsSync(installed)) for (const name of readdirSync(installed)) walk(realpathSync(join(installed, name)), files)
  }
  files.sort()
  const h = createHash('sha256')
  if (configPath) h.update(readFileSync(configPath))
  for (const f of files) {
    h.update(`\0${relative(base, f)}\0`)
    h.update(readFileSync(f))
  }
  return h.digest('hex').slice(0, 16)
}
