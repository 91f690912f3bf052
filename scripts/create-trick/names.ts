/** A trick name and the identifiers the scaffold derives from it. */
export interface TrickNames {
  /** kebab-case: the folder, the trick's `name`, the suite's name. */
  readonly name: string
  /** `@converge/<name>` */
  readonly packageName: string
  /** camelCase: the factory function. */
  readonly camel: string
  /** PascalCase: type names. */
  readonly pascal: string
  /** The suite's export, `<camel>Suite`. */
  readonly suite: string
}

/** A bad name or a scaffold that cannot be written; the CLI prints the message and exits with 2. */
export class ScaffoldError extends Error {}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
const MAX_LENGTH = 40

// A factory named after one of these would not compile.
const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await arguments eval').split(' '),
)

/** Validates a kebab-case trick name and derives the package name and identifiers. */
export function trickNames(name: string): TrickNames {
  if (!KEBAB.test(name)) {
    throw new ScaffoldError(
      `"${name}" is not a valid trick name: use kebab-case (lower-case letters and digits, words joined by single hyphens, starting with a letter), e.g. "gradient-noise"`,
    )
  }
  if (name.length > MAX_LENGTH) throw new ScaffoldError(`"${name}" is too long (${name.length} characters; at most ${MAX_LENGTH})`)
  const words = name.split('-')
  const camel = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('')
  if (RESERVED.has(camel)) throw new ScaffoldError(`"${name}" would make a factory named "${camel}", a reserved word in JavaScript; choose another name`)
  return { name, packageName: `@converge/${name}`, camel, pascal: camel[0]!.toUpperCase() + camel.slice(1), suite: `${camel}Suite` }
}
