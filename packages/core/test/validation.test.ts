import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { ContractError, train, type TaskDefinition, type Trick } from '../src/index.js'
import { numTensors, smallTask } from './helpers.js'

/** A task whose instance is changed by `edit` after it is created. */
function editedTask(edit: (inst: Record<string, unknown>) => Record<string, unknown>): TaskDefinition {
  const base = smallTask()
  return { ...base, create: async (init) => edit({ ...(await base.create(init)) }) as never }
}

async function expectNoLeak(run: () => Promise<unknown>, pattern: RegExp | (new (...a: never[]) => Error)): Promise<void> {
  await train({ task: smallTask(), maxSteps: 1, backend: 'cpu' }) // warm kernels
  const before = numTensors()
  await expect(run()).rejects.toThrow(pattern as RegExp)
  expect(numTensors()).toBe(before)
}

describe('tricks are checked before any work', () => {
  const bad: [string, unknown, RegExp][] = [
    ['a hook that is not a function', { name: 't', loss: 42 }, /trick "t": "loss" must be a function, got 42/],
    ['a misspelt hook', { name: 't', afterStpe: () => {} }, /trick "t": "afterStpe" is not a hook; did you mean "afterStep"\?/],
    ['a hook in the wrong case', { name: 't', setUp: () => {} }, /"setUp" is not a hook; did you mean "setup"\?/],
    ['requires given as a string', { name: 't', requires: 'rewards' }, /trick "t": "requires" must be an array of capability names .* got "rewards"/],
    ['a trick without a name', {}, /tricks\[0\] is not a trick: expected an object with a non-empty string "name", got \{\}/],
    ['state that is not a function', { name: 't', state: { a: 1 } }, /"state" must be a function/],
  ]
  for (const [label, trick, pattern] of bad) {
    it(`rejects ${label}`, async () => {
      let created = false
      const task = { ...smallTask(), create: () => ((created = true), smallTask().create(null as never)) }
      const err = await train({ task, tricks: [trick as Trick], maxSteps: 1, backend: 'cpu' }).catch((e) => e)
      expect(err).toBeInstanceOf(ContractError)
      expect(err.message).toMatch(pattern)
      expect(created).toBe(false)
    })
  }
  it('accepts unrelated fields, also functions, that do not look like hooks', async () => {
    const t = { name: 'ok', stats: { n: 1 }, report: () => 1, probabilities: () => [] } as Trick
    await expect(train({ task: smallTask(), tricks: [t], maxSteps: 1, backend: 'cpu' })).resolves.toMatchObject({ steps: 1 })
  })
})

describe('the task instance is checked after create, and freed when it fails', () => {
  it('names the missing methods and the task, and leaks nothing', async () => {
    await expectNoLeak(
      () => train({ task: editedTask(({ forward: _f, loss: _l, ...rest }) => rest), maxSteps: 1, backend: 'cpu' }),
      /task "synthetic-classification": forward\(\), loss\(\) missing/,
    )
  })
  it('rejects variables that are not tf.Variables', async () => {
    await expectNoLeak(() => train({ task: editedTask((i) => ({ ...i, variables: [1] })), maxSteps: 1, backend: 'cpu' }), /variables must be an array of tf.Variable/)
  })
  it('rejects a malformed sources capability', async () => {
    await expectNoLeak(
      () => train({ task: editedTask((i) => ({ ...i, capabilities: { sources: { names: [], slots: 0 } } })), maxSteps: 1, backend: 'cpu' }),
      /capability "sources": names must be a non-empty array of unique strings, got \[\]; capability "sources": slots must be a positive integer, got 0/,
    )
  })
  it('rejects metrics that are not numbers, naming the metric', async () => {
    const task = editedTask((i) => ({ ...i, evaluate: () => ({ accuracy: tf.scalar(1) }) }))
    await expect(train({ task, maxSteps: 1, backend: 'cpu' })).rejects.toThrow(/evaluate\(\): metric "accuracy" is a float32 tensor of shape \[\]; metrics must be numbers/)
  })
})

describe('nothing leaks when task or trick code throws inside the tape', () => {
  it('a task forward that throws', async () => {
    const task = editedTask((i) => ({
      ...i,
      forward: (b: never, info: never) => {
        const out = (i.forward as (b: never, info: never) => unknown)(b, info)
        throw new Error('forward failed')
        return out
      },
    }))
    await expectNoLeak(() => train({ task, maxSteps: 3, backend: 'cpu' }), /forward failed/)
  })
  it("a trick's loss hook that throws after making tensors", async () => {
    const t: Trick = {
      name: 'thrower',
      loss: (_c, parts) => {
        tf.square(tf.ones([4]))
        if (parts) throw new Error('loss hook failed')
        return parts
      },
    }
    await expectNoLeak(() => train({ task: smallTask(), tricks: [t], maxSteps: 3, backend: 'cpu' }), /loss hook failed/)
  })
  it('an objective that returns something else', async () => {
    const t = { name: 'bad-objective', objective: () => ({ nope: 1 }) } as unknown as Trick
    await expectNoLeak(() => train({ task: smallTask(), tricks: [t], maxSteps: 1, backend: 'cpu' }), /trick "bad-objective"'s objective returned \{"nope":1\}; expected \{ output, parts \}/)
  })
})

describe('loss terms must be scalars, named with their producer', () => {
  it('a non-scalar term from the task', async () => {
    const task = editedTask((i) => ({ ...i, loss: () => ({ ce: tf.ones([3]) }) }))
    await expectNoLeak(
      () => train({ task, maxSteps: 1, backend: 'cpu' }),
      /loss term "ce" from task "synthetic-classification"'s loss\(\) has shape \[3\]; loss terms must be scalars/,
    )
  })
  it('a non-scalar term from a trick', async () => {
    const t: Trick = { name: 'wide', loss: (_c, parts) => ({ ...parts, extra: tf.ones([2, 2]) as tf.Scalar }) }
    const err = await train({ task: smallTask(), tricks: [t], maxSteps: 1, backend: 'cpu' }).catch((e) => e)
    expect(err).toBeInstanceOf(ContractError)
    expect(err.message).toMatch(/loss term "extra" from trick "wide"'s loss hook has shape \[2, 2\]/)
  })
  it('a term that is not a tensor', async () => {
    const t = { name: 'number-term', loss: (_c: unknown, parts: object) => ({ ...parts, extra: 0.5 }) } as unknown as Trick
    await expect(train({ task: smallTask(), tricks: [t], maxSteps: 1, backend: 'cpu' })).rejects.toThrow(/loss term "extra" from trick "number-term"'s loss hook is 0.5; expected a scalar tensor/)
  })
  it('only reported terms', async () => {
    const task = editedTask((i) => ({ ...i, loss: () => ({ ce: { reported: tf.scalar(1) } }) }))
    await expect(train({ task, maxSteps: 1, backend: 'cpu' })).rejects.toThrow(/returned only reported terms \(ce\)/)
  })
})

describe('capabilities', () => {
  it('a trick reading a capability it does not list in requires is told to list it', async () => {
    const t: Trick = { name: 'sneaky', setup: (ctx) => void ctx.capability('hiddenStates') }
    await expect(train({ task: smallTask(), tricks: [t], maxSteps: 1, backend: 'cpu' })).rejects.toThrow(
      /trick "sneaky" reads capability "hiddenStates" without listing it in requires; add requires: \['hiddenStates'\]/,
    )
  })
  it('reads hidden states of the forward output through the typed capability in the loss hook', async () => {
    const widths: number[][] = []
    const t: Trick = {
      name: 'reader',
      requires: ['hiddenStates'],
      loss(ctx, parts, out) {
        const h = ctx.capability('hiddenStates').read(out, 'dense1')
        widths.push(h.shape)
        return { ...parts, l2: tf.mul(1e-3, tf.mean(tf.square(h))) as tf.Scalar }
      },
    }
    const r = await train({ task: smallTask(), tricks: [t], maxSteps: 2, backend: 'cpu' })
    expect(widths).toEqual([[16, 1, 16], [16, 1, 16]])
    expect(Object.keys(r.lossTerms).sort()).toEqual(['ce', 'l2'])
  })
})
