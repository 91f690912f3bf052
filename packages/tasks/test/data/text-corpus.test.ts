import { describe, expect, it } from 'vitest'
import { encodeText, loadTextCorpus, normalizeProse } from '../../src/data/text-corpus.js'

describe('text corpora', () => {
  it('normalizes prose: ASCII quotes and dashes, wrapped lines joined, one newline per paragraph', () => {
    expect(normalizeProse('“Call me\nIshmael,” he said—twice.\n\n\n  It’s  cold.\r\n')).toBe('"Call me Ishmael," he said-twice.\nIt\'s cold.')
  })

  it('encodes over the text’s own alphabet and holds out the end as validation', () => {
    const c = encodeText('t', 'abcabcabcz', 0.2)
    expect(c.alphabet).toEqual(['a', 'b', 'c', 'z'])
    expect(Array.from(c.train)).toEqual([0, 1, 2, 0, 1, 2, 0, 1])
    expect(Array.from(c.validation)).toEqual([2, 3])
  })

  it('moby-dick: over 1 MB of real English, a contiguous held-out tail, fixed from run to run', () => {
    const c = loadTextCorpus('moby-dick')
    const total = c.train.length + c.validation.length
    expect(total).toBeGreaterThan(1_000_000)
    expect(c.validation.length).toBe(total - Math.round(total * 0.9))
    expect(c.alphabet.length).toBeLessThan(100)
    const decode = (ids: Int32Array) => Array.from(ids, (i) => c.alphabet[i]).join('')
    expect(decode(c.train.subarray(0, 40))).toMatch(/^CHAPTER 1\. Loomings\.\nCall me Ishmael/)
    expect(decode(c.validation)).toMatch(/Ahab/)
    // The most common symbol of English prose is the space, then e.
    const counts = new Map<string, number>()
    for (const id of c.train.subarray(0, 100_000)) counts.set(c.alphabet[id]!, (counts.get(c.alphabet[id]!) ?? 0) + 1)
    const top = [...counts].sort((a, b) => b[1] - a[1]).map(([ch]) => ch)
    expect(top.slice(0, 2)).toEqual([' ', 'e'])
  })
})
