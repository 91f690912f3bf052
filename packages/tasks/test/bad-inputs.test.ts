/**
 * Bad task options, one row each: the input, the error class and the field the message names.
 * Each is refused when the task is defined, before any run. Add a row with every new option.
 */
import { ConfigError } from '@converge/core'
import { describe, expect, it } from 'vitest'
import { charLm, shapesDiffusion } from '../src/index.js'

type Row = readonly [input: string, define: () => unknown, error: new (...a: never[]) => Error, field: RegExp]

const rows: Row[] = [
  ['charLm trainChars 4 with context 8', () => charLm({ trainChars: 4 }), ConfigError, /charLm options: trainChars: got 4; trainChars must be at least contextLength/],
  ['charLm evalChars 4 with context 8', () => charLm({ evalChars: 4 }), ConfigError, /evalChars: got 4; evalChars must be at least contextLength/],
  ["shapesDiffusion evaluatorDir '/missing'", () => shapesDiffusion({ evaluatorDir: '/missing' }), ConfigError, /shapesDiffusion options: evaluatorDir: got "\/missing"; no evaluator there/],
]

describe('task bad inputs: refused at definition, naming the field', () => {
  it.each(rows)('%s', (_input, define, error, field) => {
    let err: unknown = null
    try {
      define()
    } catch (e) {
      err = e
    }
    expect(err, 'accepted silently').toBeInstanceOf(error)
    expect((err as Error).message).toMatch(field)
  })
})
