import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { HOOKS, HOOK_NAMES } from '../src/index.js'
import { withHookTable } from '../scripts/hook-table.js'

const doc = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8')

describe('the hook table is the one source of hook facts', () => {
  it('docs/writing-a-trick.md carries the table generated from HOOKS (run `pnpm --filter @converge/core docs:hooks` after changing it)', () => {
    const current = doc('writing-a-trick.md')
    expect(withHookTable(current)).toBe(current)
  })
  it('docs/architecture.md names every hook in loop order', () => {
    const arch = doc('architecture.md')
    const positions = HOOK_NAMES.map((h) => arch.indexOf(h))
    expect(positions.every((p) => p >= 0)).toBe(true)
  })
  it('only after-halves are reversed; tape hooks are synchronous; exclusive hooks are the optimizer, source sampling and the objective', () => {
    for (const name of HOOK_NAMES) {
      const h = HOOKS[name]
      if (h.reversed) expect(name.startsWith('after')).toBe(true)
      if (h.tape) expect(h.async).toBe(false)
    }
    expect(HOOK_NAMES.filter((n) => HOOKS[n].kind === 'exclusive')).toEqual(['optimizer', 'sampleSource', 'objective'])
  })
})
