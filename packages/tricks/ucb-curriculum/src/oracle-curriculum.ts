import { ContractError, parseOptions, type RunContext, type Trick, type TrickState } from '@converge/core'
import { z } from 'zod'
import { AllocationLog, type AllocationTrace } from './allocation-log.js'

export const oracleCurriculumOptionsSchema = z
  .object({
    /** Recompute the learnabilities every this many batches (they cost a pass over the evaluation prompts). */
    refreshEvery: z.number().int().positive().default(1),
  })
  .strict()

export type OracleCurriculumOptions = z.input<typeof oracleCurriculumOptionsSchema>

/** The task's learnability oracle: by source, how much is left to learn (e.g. P(a group is mixed)). */
function oracleOf(ctx: RunContext): () => Readonly<Record<string, number>> {
  const sources = ctx.capability('sources')
  if (typeof sources.learnability !== 'function') {
    throw new ContractError(`oracle-curriculum needs a task whose "sources" capability offers learnability(); task "${ctx.task.name}" offers none`)
  }
  return () => sources.learnability!()
}

/**
 * A reference sampler for benchmarks, not a method: draws each slot's source with probability
 * proportional to its exact learnability (the chance that a group is mixed under the clean
 * verifier, read from the task), uniformly when no source is learnable. It knows what a
 * curriculum can only estimate: the current policy's success rates, and which rewards are noise.
 */
export function oracleCurriculum(options: OracleCurriculumOptions = {}): Trick & { readonly allocation: AllocationLog } {
  const o = parseOptions(oracleCurriculumOptionsSchema, options, 'oracleCurriculum options')
  const allocation = new AllocationLog()
  let names: string[] = []
  let current: number[] = []
  let batches = 0
  return {
    name: 'oracle-curriculum',
    options: o,
    requires: ['rewards', 'sources'],
    allocation,
    setup(ctx) {
      oracleOf(ctx)
      names = [...ctx.capability('sources').names]
      current = names.map(() => 1 / names.length)
      batches = 0
      allocation.reset(names)
    },
    sampleSource(ctx, _sources, slots) {
      if (batches++ % o.refreshEvery === 0) {
        const l = oracleOf(ctx)()
        const w = names.map((s) => Math.max(0, l[s] ?? 0))
        const total = w.reduce((a, b) => a + b, 0)
        current = total > 0 ? w.map((v) => v / total) : names.map(() => 1 / names.length)
      }
      const rng = ctx.rng('oracle-curriculum')
      const chosen = Array.from({ length: slots }, () => names[rng.categorical(current)] as string)
      allocation.record(ctx.step, chosen, current)
      return chosen
    },
    state: (): TrickState => ({ sources: names, probabilities: current, batches, allocation: allocation.trace() }),
    loadState(state) {
      names = [...(state.sources as string[])]
      current = [...(state.probabilities as number[])]
      batches = Number(state.batches)
      allocation.load(state.allocation as AllocationTrace)
    },
  }
}
