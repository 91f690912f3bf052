import { randomUUID } from 'node:crypto'
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeDir } from '@converge/core'

/** Another bench is writing into the same output folder. */
export class OutputLockedError extends Error {
  override name = 'OutputLockedError'
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** The pid in a lock file; null when the file is gone. Never empty: lock files appear whole (see `place`). */
function holder(path: string): number | null {
  try {
    return Number.parseInt(readFileSync(path, 'utf8'), 10)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
}

/**
 * Puts a file holding this process's pid at `path` if none is there, atomically: the pid is
 * written to a private file first, then hard-linked into place (link fails when `path` exists), so
 * a reader never sees an empty or half-written lock.
 */
function place(path: string): boolean {
  // A unique private name (not randomness a result depends on, so no seeded stream is needed).
  const own = `${path}.${process.pid}.${randomUUID()}`
  writeFileSync(own, `${process.pid}\n`)
  try {
    linkSync(own, path)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  } finally {
    rmSync(own, { force: true })
  }
}

/** A takeover guard older than this was left by a process killed inside the few microseconds it holds it. */
const GUARD_STALE_MS = 10_000
/** How long a bench waits for another one's takeover of a stale lock to finish. */
const GUARD_WAIT_MS = 3_000

/**
 * Takes `<out>/.bench.lock` (holding this process's pid) so that two benches never run the same
 * jobs into one folder. A lock left by a process that no longer exists is taken over, by one
 * process at a time (`<out>/.bench.lock.takeover`, itself placed atomically): the taker reads the
 * lock again under the guard, so two benches that both saw the same stale lock never both hold it.
 * Returns the function that releases it.
 */
export function lockOutput(out: string): () => void {
  makeDir(out, '--out')
  const path = join(out, '.bench.lock')
  const guard = `${path}.takeover`
  const release = () => {
    let released = false
    return () => {
      if (released) return
      released = true
      if (holder(path) === process.pid) rmSync(path, { force: true })
    }
  }
  const locked = (pid: number) => new OutputLockedError(`${out} is in use by another bench (pid ${pid}); wait for it, or pass another --out`)
  const deadline = Date.now() + GUARD_WAIT_MS
  for (;;) {
    if (place(path)) return release()
    const pid = holder(path)
    if (pid !== null && Number.isInteger(pid) && pid > 0 && alive(pid)) throw locked(pid)
    // Stale (its process is gone) or just removed: take it over under the guard.
    if (place(guard)) {
      try {
        const now = holder(path)
        if (now !== null && Number.isInteger(now) && now > 0 && alive(now)) throw locked(now)
        rmSync(path, { force: true })
        if (place(path)) return release()
      } finally {
        rmSync(guard, { force: true })
      }
      continue
    }
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) rmSync(guard, { force: true })
    } catch {
      // the guard went meanwhile
    }
    if (Date.now() > deadline) throw new OutputLockedError(`${out}: could not take the lock ${path} (another bench is taking it over)`)
    sleep(5)
  }
}
