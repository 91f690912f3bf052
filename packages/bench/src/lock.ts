import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

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

/**
 * Takes `<out>/.bench.lock` (created exclusively, holding this process's pid) so that two benches
 * never run the same jobs into one folder. A lock left by a process that no longer exists is taken
 * over. Returns the function that releases it.
 */
export function lockOutput(out: string): () => void {
  mkdirSync(out, { recursive: true })
  const path = join(out, '.bench.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, `${process.pid}\n`)
      closeSync(fd)
      let released = false
      return () => {
        if (released) return
        released = true
        rmSync(path, { force: true })
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number.parseInt(existsSync(path) ? readFileSync(path, 'utf8') : '', 10)
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new OutputLockedError(`${out} is in use by another bench (pid ${pid}); wait for it, or pass another --out`)
      }
      rmSync(path, { force: true }) // stale: its process is gone
    }
  }
  throw new OutputLockedError(`${out}: could not take the lock ${path}`)
}
