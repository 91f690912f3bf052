import { ConfigError } from '@converge/core'

/** Letters, digits, '.', '_' and '-', starting with a letter or digit: never a path, never hidden. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/**
 * Suite names become folders under --out and arm names parts of file names: a name that could
 * leave the output folder (`../x`, `/abs`) or hide (`.x`) is refused before any run.
 */
export function checkFolderName(where: string, field: string, name: unknown): void {
  if (typeof name !== 'string' || !SAFE_NAME.test(name)) {
    throw new ConfigError(
      `${where}: ${field} ${JSON.stringify(name)} is not a safe folder name; use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    )
  }
}
