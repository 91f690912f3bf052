import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { coordinator } from './harness.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

// No Redis needed: nothing listens on port 1.
describe('a coordinator whose Redis cannot be reached', () => {
  it('says once what it waits for, then gives up after --queue-wait with exit 2 and no stack', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cb-unreachable-')), 'out')
    dirs.push(out)
    const c = coordinator('redis://127.0.0.1:1', out, '--queue-wait', '3')
    const hang = setTimeout(() => c.kill(), 90_000) // the old coordinator waited forever
    const code = await c.exited
    clearTimeout(hang)
    expect(code, c.output).toBe(2)
    expect(c.output.match(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); waiting for it, for at most 3 s/g), c.output).toHaveLength(1)
    expect(c.output).toMatch(/unreachable for 3 s \(ECONNREFUSED\); gave up/)
    expect(c.output).not.toMatch(/\n\s+at /) // no raw stack
  }, 120_000)
})
