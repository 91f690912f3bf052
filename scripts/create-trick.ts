/**
 * `pnpm create-trick <name>`: scaffolds packages/tricks/<name>/ (trick, options schema, contract
 * test, bench suite, method card), registers it in package.json and converge-bench.config.ts, and
 * runs pnpm install.
 *
 * Exit codes: 0 created; 1 created but pnpm install failed, or an unexpected error; 2 bad usage or
 * name (nothing written).
 */
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ScaffoldError } from './create-trick/names.js'
import { createTrick } from './create-trick/scaffold.js'

const USAGE = `Usage: pnpm create-trick <name> [--no-install]

  <name>          kebab-case, e.g. gradient-noise: the package becomes @converge/<name>
  --no-install    skip the final pnpm install`

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

export function main(argv: readonly string[], root = REPO_ROOT): number {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { 'no-install': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  } catch (e) {
    console.error(`create-trick: ${(e as Error).message}\n${USAGE}`)
    return 2
  }
  if (parsed.values.help) {
    console.log(USAGE)
    return 0
  }
  if (parsed.positionals.length !== 1) {
    console.error(`create-trick: expected one trick name, got ${parsed.positionals.length}\n${USAGE}`)
    return 2
  }
  try {
    const created = createTrick({ name: parsed.positionals[0]!, root, install: !parsed.values['no-install'], log: (l) => console.log(l) })
    console.log(
      `\nNext: implement the method in packages/tricks/${created.names.name}/src/${created.names.name}.ts, then\n` +
        `  pnpm vitest run packages/tricks/${created.names.name}\n  pnpm bench --suite ${created.names.name}\n` +
        `and fill in the method card (README.md).`,
    )
    return 0
  } catch (e) {
    if (e instanceof ScaffoldError) {
      console.error(`create-trick: ${e.message}`)
      return 2
    }
    console.error(`create-trick: ${(e as Error).message}`)
    return 1
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main(process.argv.slice(2)))
