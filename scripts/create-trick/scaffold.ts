import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { ScaffoldError, trickNames, type TrickNames } from './names.js'
import { addRootDependency, registerSuite } from './registration.js'
import { trickPackageFiles, type Versions } from './templates.js'

export interface CreateTrickOptions {
  readonly name: string
  /** The workspace root: holds package.json, converge-bench.config.ts and packages/tricks/. */
  readonly root: string
  /** Run `pnpm install` at the end so the workspace links the new package (default true). */
  readonly install?: boolean
  readonly log?: (line: string) => void
}

export interface CreatedTrick {
  readonly names: TrickNames
  /** The new package's folder. */
  readonly dir: string
  /** Every file written or changed, relative to the root. */
  readonly files: readonly string[]
}

const CONFIG_FILE = 'converge-bench.config.ts'

function readText(path: string): string {
  if (!existsSync(path)) throw new ScaffoldError(`${path} does not exist; run create-trick from the repository root`)
  return readFileSync(path, 'utf8')
}

/** Names of the workspace's packages (packages/* and packages/tricks/*), so a new one never shadows one. */
function workspacePackageNames(root: string): Set<string> {
  const names = new Set<string>()
  for (const parent of ['packages', 'packages/tricks']) {
    const dir = join(root, parent)
    if (!existsSync(dir)) continue
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const pkg = join(dir, d.name, 'package.json')
      if (d.isDirectory() && existsSync(pkg)) names.add((JSON.parse(readFileSync(pkg, 'utf8')) as { name: string }).name)
    }
  }
  return names
}

/** The versions the new package shares with core and the root, so the workspace keeps one of each. */
function workspaceVersions(root: string, rootPackage: string): Versions {
  const core = JSON.parse(readText(join(root, 'packages/core/package.json'))) as {
    dependencies: Record<string, string>
    peerDependencies: Record<string, string>
  }
  const rootDeps = (JSON.parse(rootPackage) as { dependencies?: Record<string, string> }).dependencies ?? {}
  const zod = core.dependencies.zod
  const tfjsPeer = core.peerDependencies['@tensorflow/tfjs']
  const tfjs = rootDeps['@tensorflow/tfjs']
  if (!zod || !tfjsPeer || !tfjs) throw new ScaffoldError('could not read the zod and @tensorflow/tfjs versions from packages/core/package.json and package.json')
  return { zod, tfjsPeer, tfjs }
}

/**
 * Scaffolds `packages/tricks/<name>/` and registers it in the root package.json and the bench
 * config. Everything is checked and computed before the first write, so a bad name or an
 * unexpected config leaves the workspace untouched.
 */
export function createTrick(options: CreateTrickOptions): CreatedTrick {
  const { root } = options
  const log = options.log ?? (() => {})
  const names = trickNames(options.name)
  const dir = join(root, 'packages/tricks', names.name)
  if (existsSync(dir)) throw new ScaffoldError(`${relative(root, dir)} already exists`)
  if (workspacePackageNames(root).has(names.packageName)) throw new ScaffoldError(`the workspace already has a package named ${names.packageName}`)

  const rootPackagePath = join(root, 'package.json')
  const configPath = join(root, CONFIG_FILE)
  const rootPackage = readText(rootPackagePath)
  const newRootPackage = addRootDependency(rootPackage, names.packageName)
  const newConfig = registerSuite(readText(configPath), { identifier: names.suite, from: `${names.packageName}/bench` })
  const files = trickPackageFiles(names, workspaceVersions(root, rootPackage))

  for (const [path, text] of Object.entries(files)) {
    const target = join(dir, path)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, text)
  }
  writeFileSync(rootPackagePath, newRootPackage)
  writeFileSync(configPath, newConfig)
  const written = [...Object.keys(files).map((p) => relative(root, join(dir, p))), 'package.json', CONFIG_FILE]
  log(`created ${relative(root, dir)}/ and registered ${names.suite} in ${CONFIG_FILE} and ${names.packageName} in package.json`)

  if (options.install ?? true) {
    log('pnpm install')
    const r = spawnSync('pnpm', ['install'], { cwd: root, stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`pnpm install failed (exit ${r.status ?? r.signal}); the files are written: run pnpm install again once the cause is fixed`)
  }
  return { names, dir, files: written }
}
