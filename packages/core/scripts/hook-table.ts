/**
 * Renders the hook table of docs/writing-a-trick.md from `HOOKS`, so the docs cannot drift from
 * the code: `pnpm --filter @converge/core docs:hooks` rewrites the section between the markers,
 * and a test fails when it is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { HOOKS, HOOK_NAMES, type TrickHooks } from '../src/hooks/table.js'

export const BEGIN = '<!-- hook-table:begin (generated from HOOKS by packages/core/scripts/hook-table.ts) -->'
export const END = '<!-- hook-table:end -->'

/** Parameter names of each hook, as the docs show them. */
const SIGNATURES: { readonly [K in keyof TrickHooks]: string } = {
  setup: 'ctx',
  optimizer: 'ctx, variables, base',
  learningRate: 'ctx, lr',
  sampleSource: 'ctx, sources, slots',
  rewards: 'ctx, rollouts',
  beforeStep: 'ctx',
  beforeForward: 'ctx, batch',
  objective: 'ctx, batch',
  afterForward: 'ctx, out',
  loss: 'ctx, parts, out',
  afterBackward: 'ctx, grads',
  afterStep: 'ctx, report',
  beforeEvaluate: 'ctx',
  afterEvaluate: 'ctx, metrics',
  evaluate: 'ctx, metrics',
  end: 'ctx, result',
}

const WHEN = { run: 'once', batch: 'per batch', step: 'per step', evaluation: 'per evaluation' } as const

export function renderHookTable(): string {
  const rows = HOOK_NAMES.map((name) => {
    const h = HOOKS[name]
    return `| \`${name}(${SIGNATURES[name]})\` | ${h.kind} | ${WHEN[h.when]} | ${h.tape ? 'in the tape (sync)' : h.async ? 'may await' : 'sync'} | ${h.reversed ? 'reverse' : 'trick order'} | ${h.phases ? 'yes' : 'no'} | ${h.summary} |`
  })
  return [
    BEGIN,
    '| hook | kind | when | runs | order | on phase steps | what for |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    END,
  ].join('\n')
}

/** The doc with its hook table replaced by the rendered one. */
export function withHookTable(doc: string): string {
  const start = doc.indexOf(BEGIN)
  const end = doc.indexOf(END)
  if (start < 0 || end < start) throw new Error(`the doc has no hook-table markers (${BEGIN} … ${END})`)
  return doc.slice(0, start) + renderHookTable() + doc.slice(end + END.length)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL('../../../docs/writing-a-trick.md', import.meta.url))
  writeFileSync(path, withHookTable(readFileSync(path, 'utf8')))
  console.log(`updated the hook table in ${path}`)
}
