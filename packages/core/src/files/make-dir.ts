import * as fs from 'node:fs'
import * as path from 'node:path'
import { ConfigError } from '../errors.js'

const reason = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException
  return err.code ? `${err.code}: ${err.message.replace(/^[A-Z]+: /, '').split(',')[0]}` : String(err.message ?? e)
}

const failure = (what: string, target: string) => (why: string) => new ConfigError(`${what}: cannot use ${target} as a folder: ${why}`)

/**
 * Creates `dir` and its missing parents, one level at a time. Node's own `mkdirSync(dir, {
 * recursive: true })` spins forever where a file system answers ENOENT for a parent that exists
 * (under /proc); here every refusal is a ConfigError naming `what` (the option), the folder and
 * the reason. Returns the absolute path.
 */
export function makeDir(dir: string, what: string): string {
  const target = path.resolve(dir)
  const fail = failure(what, target)
  const missing: string[] = []
  let at = target
  for (;;) {
    let stat: fs.Stats | null = null
    try {
      stat = fs.statSync(at)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fail(`${at}: ${reason(e)}`)
    }
    if (stat) {
      if (!stat.isDirectory()) throw fail(`${at} is a file, not a folder`)
      break
    }
    missing.unshift(at)
    const parent = path.dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EEXIST' && fs.statSync(d).isDirectory()) continue // made meanwhile by another process
      if (code === 'ENOENT') throw fail(`${path.dirname(d)} does not allow new folders (${code})`)
      throw fail(`creating ${d}: ${reason(e)}`)
    }
  }
  return target
}

/** `makeDir`, then checks that files can be written there: a run fails before any work, not at its first save. */
export function makeWritableDir(dir: string, what: string): string {
  const target = makeDir(dir, what)
  const fail = failure(what, target)
  const probe = path.join(target, `.write-check-${process.pid}-${Date.now()}`)
  try {
    fs.writeFileSync(probe, '')
  } catch (e) {
    throw fail(`files cannot be written there (${reason(e)})`)
  } finally {
    fs.rmSync(probe, { force: true })
  }
  return target
}
