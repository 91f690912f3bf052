/**
 * Bad inputs to the library, one row each: what is given, the error class expected and the field
 * the message must name. Every row fails before any training step. Add a row with every new option.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, ContractError, createOptimizer, syntheticClassification, train, type TaskDefinition, type TrainOptions, type Trick } from '../src/index.js'
import { smallTask } from './helpers.js'

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'converge-bad-inputs-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** Steps any row's run completed: none may. */
let stepsTaken = 0
const run = (extra: Partial<TrainOptions>) => () => train({ task: smallTask(), maxSteps: 2, backend: 'cpu', onStep: () => void stepsTaken++, ...extra } as TrainOptions)
const withTask = (patch: Record<string, unknown>) => run({ task: { ...smallTask(), ...patch } as TaskDefinition })
const withTrick = (trick: Record<string, unknown>) => run({ tricks: [trick as unknown as Trick] })
const aFile = () => {
  const f = join(tmp(), 'not-a-folder')
  writeFileSync(f, 'x')
  return f
}

type Row = readonly [input: string, act: () => unknown, error: new (...a: never[]) => Error, field: RegExp]

const rows: Row[] = [
  // optimizer specs: every branch is strict
  ['optimizer { sgd, momentum: 0.9 }', run({ optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9 } as never }), ConfigError, /optimizer: unknown option "momentum"/],
  ['optimizer { adam, lr }', run({ optimizer: { name: 'adam', lr: 0.1 } as never }), ConfigError, /"lr" \(did you mean "learningRate"\?\)/],
  ['optimizer { adam, beta_1 }', run({ optimizer: { name: 'adam', learningRate: 0.1, beta_1: 0.9 } as never }), ConfigError, /"beta_1" \(did you mean "beta1"\?\)/],
  ['createOptimizer { rmsprop, momentum }', () => createOptimizer({ name: 'rmsprop', learningRate: 0.1, momentum: 0.9 } as never), ConfigError, /unknown option "momentum"/],
  // a task definition's own fields
  ['task target value NaN', withTask({ target: { metric: 'accuracy', direction: 'max', value: Number.NaN } }), ConfigError, /task "synthetic-classification": target\.value: got NaN/],
  ["task target direction 'up'", withTask({ target: { metric: 'accuracy', direction: 'up', value: 0.5 } }), ConfigError, /target\.direction: got "up"/],
  ['task target metric empty', withTask({ target: { metric: '', direction: 'max', value: 0.5 } }), ConfigError, /target\.metric: got ""/],
  ["task named ''", withTask({ name: '' }), ConfigError, /task: name: got ""/],
  ['task optimizer { sgd, momentum }', withTask({ optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0.9 } }), ConfigError, /optimizer: unknown option "momentum"/],
  // task options
  ['syntheticClassification batchSize 512 > trainSize 64', () => syntheticClassification({ trainSize: 64, batchSize: 512 }), ConfigError, /batchSize: got 512; batchSize must be at most trainSize/],
  ['syntheticClassification trainSize 1e12', () => syntheticClassification({ trainSize: 1e12 }), ConfigError, /trainSize: got 1000000000000; trainSize × features must be at most/],
  // tricks
  ['trick with onStep (not a hook)', withTrick({ name: 't', onStep: () => {} }), ContractError, /trick "t": "onStep" is not a hook/],
  ['trick with options: 5', withTrick({ name: 't', options: 5 }), ContractError, /trick "t": "options" must be an object .*got 5/],
  ['two tricks with one name', run({ tricks: [{ name: 'a' }, { name: 'a' }] }), ContractError, /two tricks are named "a"/],
  [
    'afterBackward returning an unknown variable name',
    withTrick({ name: 'g', afterBackward: (_ctx: unknown, grads: tf.NamedTensorMap) => ({ ...grads, nosuch: tf.scalar(1) }) }),
    ContractError,
    /trick "g": afterBackward returned a gradient for "nosuch", which is not a variable being trained/,
  ],
  [
    'afterBackward returning a non-tensor',
    withTrick({ name: 'g', afterBackward: (_ctx: unknown, grads: tf.NamedTensorMap) => Object.fromEntries(Object.keys(grads).map((k) => [k, 1])) }),
    ContractError,
    /trick "g": afterBackward returned 1 for ".*"; expected a tensor/,
  ],
  // checkpoint folders: refused before any step
  ['checkpoint.dir a file', () => run({ checkpoint: { dir: aFile() } })(), ConfigError, /checkpoint\.dir: cannot use .*not-a-folder as a folder: .*not-a-folder is a file/],
  ['checkpoint.dir below a file', () => run({ checkpoint: { dir: join(aFile(), 'ck') } })(), ConfigError, /checkpoint\.dir: .*not-a-folder is a file/],
  ['checkpoint.dir under /sys', run({ checkpoint: { dir: '/sys/converge-nosuch/ck' } }), ConfigError, /checkpoint\.dir: cannot use \/sys\/converge-nosuch\/ck/],
  ['checkpoint.dir under /proc', run({ checkpoint: { dir: '/proc/converge-nosuch/ck' } }), ConfigError, /checkpoint\.dir: cannot use \/proc\/converge-nosuch\/ck as a folder: \/proc does not allow new folders/],
]

describe('bad inputs: each rejected before any work, with its error class and the field it names', () => {
  it.each(rows)('%s', async (_input, act, error, field) => {
    stepsTaken = 0
    const err = await (async () => act())().then(
      () => null,
      (e: unknown) => e,
    )
    expect(err, 'accepted silently').toBeInstanceOf(error)
    expect((err as Error).message).toMatch(field)
    expect(stepsTaken).toBe(0)
  })
})

describe('folders that node cannot create fail fast instead of spinning', () => {
  // mkdirSync(recursive) loops forever under /proc, blocking the event loop: only another process can time it out.
  it('checkpoint.dir under /proc: a clear error within seconds', () => {
    const script = `import { train, syntheticClassification } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))}
train({ task: syntheticClassification({ trainSize: 64, evalSize: 32, batchSize: 8 }), maxSteps: 2, backend: 'cpu', checkpoint: { dir: '/proc/converge-nosuch/ck' } })
  .then(() => console.log('accepted'), (e) => console.log(e.name + ': ' + e.message))`
    const file = join(tmp(), 'proc-checkpoint.mts')
    writeFileSync(file, script)
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 30_000 })
    expect(r.signal, `timed out: ${r.stdout}${r.stderr}`).toBeNull()
    expect(r.stdout).toMatch(/ConfigError: checkpoint\.dir: cannot use \/proc\/converge-nosuch\/ck/)
  }, 40_000)
})
