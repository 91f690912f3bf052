import { ScaffoldError } from './names.js'

/**
 * Adds `"<packageName>": "workspace:*"` to the root package.json's dependencies (kept sorted), so
 * the bench config and scripts at the repository root can import the new package.
 */
export function addRootDependency(packageJson: string, packageName: string): string {
  const pkg = JSON.parse(packageJson) as { dependencies?: Record<string, string> }
  const deps = { ...(pkg.dependencies ?? {}) }
  if (packageName in deps) throw new ScaffoldError(`package.json already depends on ${packageName}`)
  deps[packageName] = 'workspace:*'
  pkg.dependencies = Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)))
  return `${JSON.stringify(pkg, null, 2)}\n`
}

/** Index just past the bracket matching the `[` at `open`, skipping strings and comments; -1 if unbalanced. */
function matchingBracket(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const c = text[i]
    if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i)
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) === -1 ? text.length : text.indexOf('*/', i + 2) + 1
    else if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++
    } else if (c === '[' || c === '(' || c === '{') depth++
    else if (c === ']' || c === ')' || c === '}') {
      depth--
      if (depth === 0) return c === ']' ? i + 1 : -1
    }
  }
  return -1
}

/** Inserts `item` as the last element of the array literal text `[...]`, in the array's own layout. */
function appendToArrayLiteral(array: string, item: string): string {
  const inner = array.slice(1, -1)
  if (inner.trim() === '') return `[${item}]`
  const body = inner.replace(/\s+$/, '')
  const closing = inner.slice(body.length)
  if (!inner.includes('\n')) return `[${body}${body.endsWith(',') ? ' ' : ', '}${item}${closing}]`
  // One element per line (or several per line): indent like the last line that holds an element,
  // and put the separating comma after its code, before any trailing // comment.
  const lineStart = body.lastIndexOf('\n') + 1
  const lastLine = body.slice(lineStart)
  const indent = /^\s*/.exec(lastLine)![0]
  const comment = /\s*\/\/.*$/.exec(lastLine)
  const code = comment ? lastLine.slice(0, comment.index) : lastLine
  const trailingComma = code.endsWith(',')
  const head = body.slice(0, lineStart) + code + (trailingComma ? '' : ',') + (comment ? comment[0] : '')
  return `[${head}\n${indent}${item}${trailingComma ? ',' : ''}${closing}]`
}

/**
 * Registers a suite in the bench config's text: an import after the last import, and the suite
 * as the last element of `suites: [...]`. Throws a ScaffoldError, before anything is written,
 * when the file does not have that shape.
 */
export function registerSuite(config: string, suite: { readonly identifier: string; readonly from: string }): string {
  const what = `converge-bench.config.ts`
  if (new RegExp(`\\b${suite.identifier}\\b`).test(config)) throw new ScaffoldError(`${what} already mentions ${suite.identifier}`)
  if (config.includes(`'${suite.from}'`) || config.includes(`"${suite.from}"`)) throw new ScaffoldError(`${what} already imports ${suite.from}`)

  const suitesAt = /\bsuites\s*:\s*\[/.exec(config)
  const manual = `add \`import { ${suite.identifier} } from '${suite.from}'\` and ${suite.identifier} to its suites list by hand`
  if (!suitesAt) throw new ScaffoldError(`${what}: found no \`suites: [...]\` list; ${manual}`)
  const open = suitesAt.index + suitesAt[0].length - 1
  const close = matchingBracket(config, open)
  if (close === -1) throw new ScaffoldError(`${what}: the suites list is not a closed array literal; ${manual}`)
  const withSuite = config.slice(0, open) + appendToArrayLiteral(config.slice(open, close), suite.identifier) + config.slice(close)

  // The end of the last import declaration (one or several lines), or the top of the file.
  const imports = [...withSuite.matchAll(/^import\s[^;]*?\sfrom\s+(['"])[^'"]+\1;?[ \t]*$/gm)]
  const last = imports.at(-1)
  const line = `import { ${suite.identifier} } from '${suite.from}'`
  if (!last) return `${line}\n${withSuite}`
  const end = last.index + last[0].length
  return `${withSuite.slice(0, end)}\n${line}${withSuite.slice(end)}`
}
