/**
 * The docs' complete TypeScript snippets type-check against the packages: every ```ts block in
 * docs/*.md and README.md that starts with an import is compiled (tsconfig.base.json's settings),
 * so a renamed option, a moved export or a changed callback signature fails here, not in a
 * reader's editor. Blocks that are fragments (no leading import) are not checked; a block whose
 * first line is `// continues the block above` is compiled after the doc's previous checked block.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'

const REPO = path.resolve(import.meta.dirname, '../..')
const OUT = path.join(REPO, 'node_modules', '.cache', 'doc-snippets')

const CONTINUES = '// continues the block above'
const isImport = (line: string) => /^import\s/.test(line)
const importsOf = (code: string) => code.split('\n').filter(isImport).join('\n')
const withoutImports = (code: string) => code.split('\n').filter((l) => !isImport(l)).join('\n')

interface Snippet {
  readonly doc: string
  readonly line: number
  readonly file: string
}

function snippets(): Snippet[] {
  const docs = [...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'README.md']
  fs.rmSync(OUT, { recursive: true, force: true })
  fs.mkdirSync(OUT, { recursive: true })
  const found: Snippet[] = []
  for (const doc of docs) {
    const text = fs.readFileSync(path.join(REPO, doc), 'utf8')
    let previous = ''
    for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
      const continued = m[1]!.startsWith(CONTINUES)
      const own = continued ? m[1]!.slice(CONTINUES.length).trimStart() : m[1]!
      if (!own.trimStart().startsWith('import')) continue
      // imports first: a continued block's imports go above the previous block's code
      const code = continued ? `${importsOf(own)}\n${previous}\n${withoutImports(own)}` : own
      previous = code
      const line = text.slice(0, m.index).split('\n').length + 1
      const file = path.join(OUT, `${doc.replace(/[/.]/g, '_')}_${line}.ts`)
      // `export {}` keeps each block a module (top-level await, its own scope)
      fs.writeFileSync(file, `${code}\nexport {}\n`)
      found.push({ doc, line, file })
    }
  }
  return found
}

afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }))

describe('the docs’ TypeScript snippets', () => {
  it('type-check against the packages', () => {
    const found = snippets()
    expect(found.length).toBeGreaterThan(5)
    const base = ts.readConfigFile(path.join(REPO, 'tsconfig.base.json'), ts.sys.readFile)
    const { options } = ts.parseJsonConfigFileContent(base.config, ts.sys, REPO)
    const program = ts.createProgram(found.map((s) => s.file), { ...options, noEmit: true, declaration: false, sourceMap: false })
    const problems = found.flatMap((s) =>
      ts.getPreEmitDiagnostics(program, program.getSourceFile(s.file)).map((d) => {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0
        return `${s.doc}:${s.line + at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
      }),
    )
    expect(problems).toEqual([])
  }, 120_000)
})
