import { renameSync, writeFileSync } from 'node:fs'

/** Writes a file whole or not at all (a temporary file renamed over it): a browser reloading a page mid-write never sees half of it. */
export function writeFileWhole(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, path)
}
