import { ContractError, parseOptions, type RolloutBatch, type Trick, type TrickState } from '@converge/core'
import { z } from 'zod'
import { AbsAdvantageWindow } from './advantage-window.js'
import { AllocationLog, type AllocationTrace } from './allocation-log.js'
import { ucbSamplingProbabilities, ucbScores, type SourceStats } from './ucb-score.js'

/** Defaults are the official DUMP code's constants (`window_size`, `exploration_weight`, `temperature`). */
export const ucbCurriculumOptionsSchema = z
  .object({
    /** Per-source sliding window of the last `window` per-response |advantage| values. */
    window: z.number().int().positive().default(300),
    /** c: weight of the exploration bonus. */
    exploration: z.number().min(0).default(1),
    /** τ of softmax(UCB / τ): 0.1 turns a 0.1 score gap into a factor e ≈ 2.7 in probability. */
    temperature: z.number().positive().default(0.1),
  })
  .strict()

export type UcbCurriculumOptions = z.input<typeof ucbCurriculumOptionsSchema>

export interface UcbSourceReport extends SourceStats {
  /** Values currently in the window. */
  readonly windowLength: number
  readonly score: number
  readonly probability: number
}

export interface UcbCurriculumTrick extends Trick {
  readonly options: z.output<typeof ucbCurriculumOptionsSchema>
  /** The probabilities the next batch will be drawn from, by source. */
  probabilities(): Record<string, number>
  /** Window mean, count, score and probability by source. */
  report(): Record<string, UcbSourceReport>
  /** Slots per source and the probabilities used, batch by batch. */
  readonly allocation: AllocationLog
  /** Windows, counts and the allocation trace (JSON-serialisable). */
  state(): TrickState
  loadState(state: TrickState): void
}

/**
 * DUMP's distribution-level curriculum (Wang et al., 2025): every batch slot's source is drawn
 * from softmax(UCB / τ), where a source's UCB is its mean |advantage| over the last `window`
 * responses plus an exploration bonus that shrinks with the responses it has had. Prompts are then
 * drawn uniformly, with replacement, inside the source (by the task).
 *
 * Only training rollouts feed the windows, through `afterStep` (once per batch, even when a task
 * reuses a batch for several updates); evaluations never do (the official code also pushes
 * validation rewards into the windows, which mixes rewards with advantages).
 */
export function ucbCurriculum(options: UcbCurriculumOptions = {}): UcbCurriculumTrick {
  const o = parseOptions(ucbCurriculumOptionsSchema, options, 'ucbCurriculum options')
  let names: string[] = []
  let windows: AbsAdvantageWindow[] = []
  let lastFed: RolloutBatch | null = null
  const allocation = new AllocationLog()

  const reset = (sources: readonly string[]) => {
    names = [...sources]
    windows = names.map(() => new AbsAdvantageWindow(o.window))
    lastFed = null
    allocation.reset(names)
  }
  const stats = (): SourceStats[] => windows.map((w) => ({ meanAbsAdvantage: w.mean, count: w.count }))
  const probabilities = () => ucbSamplingProbabilities(stats(), o)

  return {
    name: 'ucb-curriculum',
    options: o,
    requires: ['rewards', 'sources'],
    allocation,
    setup(ctx) {
      reset(ctx.capability('sources').names)
    },
    sampleSource(ctx, sources, slots) {
      if (sources.length !== names.length || sources.some((s, i) => s !== names[i])) {
        throw new ContractError(`ucb-curriculum: the task's sources changed during the run (had ${names.join(', ')}, got ${sources.join(', ')})`)
      }
      const p = probabilities()
      const rng = ctx.rng('ucb-curriculum')
      const chosen = Array.from({ length: slots }, () => names[rng.categorical(p)] as string)
      allocation.record(ctx.step, chosen, p)
      return chosen
    },
    afterStep(_ctx, report) {
      const rollouts = report.rollouts
      if (!rollouts || rollouts === lastFed) return // one feed per batch of rollouts
      lastFed = rollouts
      const advantages = rollouts.advantages
      if (!advantages) throw new ContractError('ucb-curriculum: the step report carries rollouts without advantages')
      const bySource = names.map((): number[] => [])
      rollouts.sources.forEach((s, i) => {
        const k = names.indexOf(s)
        if (k < 0) throw new ContractError(`ucb-curriculum: rollout source "${s}" is not among the task's sources (${names.join(', ')})`)
        ;(bySource[k] as number[]).push(advantages[i] as number)
      })
      bySource.forEach((values, k) => windows[k]?.push(values))
    },
    probabilities: () => Object.fromEntries(names.map((s, i) => [s, probabilities()[i] as number])),
    report() {
      const st = stats()
      const scores = ucbScores(st, o.exploration)
      const p = probabilities()
      return Object.fromEntries(
        names.map((s, i) => [
          s,
          { ...(st[i] as SourceStats), windowLength: (windows[i] as AbsAdvantageWindow).length, score: scores[i] as number, probability: p[i] as number },
        ]),
      )
    },
    state(): TrickState {
      return { sources: names, windows: windows.map((w) => w.state()), allocation: allocation.trace() }
    },
    loadState(state) {
      const sources = state.sources as string[]
      const saved = state.windows as { values: number[]; count: number }[]
      if (!Array.isArray(sources) || !Array.isArray(saved) || saved.length !== sources.length) {
        throw new ContractError('ucb-curriculum: loadState expects { sources, windows, allocation } as state() returns')
      }
      reset(sources)
      saved.forEach((w, i) => windows[i]?.loadState(w))
      if (state.allocation) allocation.load(state.allocation as AllocationTrace)
    },
  }
}
