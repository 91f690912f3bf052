import { createRequire } from 'node:module'

const resolver = createRequire(import.meta.url)

/** Whether a package can be resolved from @converge/core, without loading it (optional backends). */
export function isInstalled(specifier: string): boolean {
  try {
    resolver.resolve(specifier)
    return true
  } catch {
    return false
  }
}
