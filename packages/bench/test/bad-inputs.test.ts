/**
 * Bad inputs to the bench, one row each: the command-line arguments and config (a patch of the tiny
 * suite), and what the error must name. Every row exits 2 before any run, naming the suite/arm and
 * the field, with no stack and nothing written. Add a row with every new option.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { main } from '../src/cli.js'

const errors: string[] = []
vi.spyOn(console, 'error').mockImplementation((...a) => void errors.push(a.join(' ')))
vi.spyOn(console, 'log').mockImplementation(() => {})
afterEach(() => {
  errors.length = 0
})
const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'converge-bench-bad-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const fixtureSuite = join(import.meta.dirname, 'fixtures', 'tiny-suite.ts')
const core = join(import.meta.dirname, '..', '..', 'core', 'src', 'index.ts')

/** A config of the tiny suite with `patch` spread over it (`ARMS` is its arms). */
const suite = (patch: string) =>
  `import { tinySuite } from FIXTURE\nimport { gradClip } from CORE\nconst ARMS = tinySuite.arms\nexport default { suites: [{ ...tinySuite, ${patch} }] }\n`
/** The tiny suite with one more arm. */
const arm = (spec: string) => suite(`arms: [...ARMS, { name: 'bad', ${spec} }]`)

type Row = readonly [input: string, config: string | null, args: readonly string[], names: RegExp]

const rows: Row[] = [
  // names that would leave --out
  ['suite named "../../escaped-suite"', suite(`name: '../../escaped-suite'`), [], /suite "\.\.\/\.\.\/escaped-suite": name "\.\.\/\.\.\/escaped-suite" is not a safe folder name/],
  ['suite named "/abs"', suite(`name: '/abs'`), [], /name "\/abs" is not a safe folder name/],
  ['arm named "a/b"', suite(`arms: [...ARMS, { name: 'a/b', tricks: () => [] }]`), [], /suite "tiny", arm "a\/b": name "a\/b" is not a safe folder name/],
  // unknown keys
  ['suite key "baselin"', suite(`baselin: 'adam'`), [], /suite "tiny": unknown option "baselin" \(did you mean "baseline"\?\)/],
  ['arm key "tunes"', arm(`tricks: () => [], tunes: { lr: [1] }`), [], /suite "tiny", arm "bad": unknown option "tunes" \(did you mean "tune"\?\)/],
  ['config with no suites', `export default { suites: [] }\n`, [], /suites is empty; list at least one suite/],
  // arms built at planning, before the baseline runs
  ['arm optimizer learningRate -1', arm(`tricks: () => [], optimizer: { name: 'sgd', learningRate: -1 }`), [], /suite "tiny", arm "bad": building the arm failed: optimizer: learningRate: got -1/],
  ['arm optimizer { sgd, momentum }', arm(`tricks: () => [], optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9 }`), [], /arm "bad": building the arm failed: optimizer: unknown option "momentum"/],
  ['tune grid { lr: [-1] }', arm(`tricks: () => [], tune: { lr: [-1] }, optimizer: (hp) => ({ name: 'sgd', learningRate: hp.lr })`), [], /arm "bad" at \{"lr":-1\}: building the arm failed: optimizer: learningRate: got -1/],
  ['arm task () => 42', arm(`tricks: () => [], task: () => 42`), [], /arm "bad": building the arm failed: task \(the arm's\): expected a task definition/],
  ['arm task with a NaN target', arm(`tricks: () => [], task: (size) => ({ ...tinySuite.task(size), target: { metric: 'accuracy', direction: 'max', value: NaN } })`), [], /arm "bad": building the arm failed: task .*: target\.value: got NaN/],
  ['tricks returning one trick, not an array', arm(`tricks: () => gradClip({ maxNorm: 1 })`), [], /arm "bad": building the arm failed: tricks: tricks\(hp\) returned an object; expected an array/],
  ['two tricks with one name', arm(`tricks: () => [gradClip({ maxNorm: 1 }), gradClip({ maxNorm: 2 })]`), [], /arm "bad": building the arm failed: two tricks are named "grad-clip"/],
  ['a trick with onStep (not a hook)', arm(`tricks: () => [{ name: 't', onStep: () => {} }]`), [], /arm "bad": building the arm failed: trick "t": "onStep" is not a hook/],
  ['a trick requiring a capability the task lacks', arm(`tricks: () => [{ name: 'needs-rewards', requires: ['rewards'] }]`), [], /suite "tiny", arm "bad": trick "needs-rewards" requires capability "rewards", which task "synthetic-classification" does not provide \(it provides: hiddenStates\)/],
  // config syntax
  ['a config syntax error', `export default { suites: [\n  { name: 'x' oops } ] }\n`, [], /the config failed to load: syntax error at line 2, column \d+: Expected/],
  // command line
  ['--seeds 0x10', null, ['--seeds', '0x10'], /--seeds: got "0x10"; expected a positive integer/],
  ['--seeds 1e1', null, ['--seeds', '1e1'], /--seeds: got "1e1"; expected a positive integer/],
  ['--max-steps 2.0', null, ['--max-steps', '2.0'], /--max-steps: got "2\.0"/],
  ['--jobs " "', null, ['--jobs', ' '], /--jobs: got " "/],
  ['--queue-wait without --queue', null, ['--queue-wait', '5'], /--queue-wait needs --queue/],
  ['--queue-wait 0x5', null, ['--queue', 'redis://127.0.0.1:1', '--queue-wait', '0x5'], /--queue-wait: got "0x5"/],
  ['--list --suite nosuch', null, ['--list', '--suite', 'nosuch'], /--suite: no suite named "nosuch" \(suites: tiny, tiny-tuned\)/],
  ['--out /sys/nosuch', null, ['--out', '/sys/converge-nosuch'], /--out: cannot use \/sys\/converge-nosuch as a folder/],
  // --out under /proc (where node's recursive mkdir spins forever) is checked in its own process, with a time limit: out-folder-process.test.ts
]

describe('bench bad inputs: exit 2 before any run, naming the suite/arm and the field', () => {
  it.each(rows)('%s', async (_input, body, args, names) => {
    const root = tmp()
    const config = body === null ? join(import.meta.dirname, 'fixtures', 'tiny.config.ts') : join(root, 'bench.config.ts')
    if (body !== null) writeFileSync(config, body.replaceAll('FIXTURE', JSON.stringify(fixtureSuite)).replaceAll('CORE', JSON.stringify(core)))
    const out = join(root, 'out')
    const code = await main(['--config', config, '--out', out, '--backend', 'cpu', ...(args.includes('--queue') ? [] : ['--jobs', '1']), ...args])
    const text = errors.join('\n')
    expect(code, text).toBe(2)
    expect(text).toMatch(names)
    expect(text).not.toMatch(/\n\s+at /) // no stack
    expect(existsSync(out)).toBe(false) // nothing ran, nothing written
    expect(readdirSync(root).filter((f) => f !== 'bench.config.ts')).toEqual([]) // nor beside it
  })
})
