import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { parseOptions } from '../parse-options.js'
import type { RunContext } from '../context.js'
import type { Trick } from '../trick.js'
import { warmupFactor } from './lr-warmup.js'

/**
 * Budget-aware learning-rate schedules: cosine, linear decay, warmup-stable-decay and step decay.
 * Each is a pure function of the main phase's step and its length, which defaults to the run's
 * budget (`maxSteps` less the steps of setup phases before it): one config serves any budget, and a
 * resumed run (same settings, same step) gets the same rate without any state to checkpoint.
 */

const fraction = (what: string) => z.number().gt(0, `${what} must be > 0`).lt(1, `${what} must be < 1`)

/** Options every schedule shares. */
const common = {
  /** Linear warmup over the first steps of the main phase; the decay starts after it. Default 0. */
  warmupSteps: z.number().int().min(0).default(0),
  /** Fraction of the base rate at the first warmup step. */
  warmupStartFactor: z.number().min(0).max(1).default(0),
  /** Schedule length in steps; default: the main phase's budget (maxSteps less setup phases). Past it the rate stays at its last value. */
  steps: z.number().int().positive().optional(),
}

/** Fraction of the base rate the decay ends at. */
const minFactor = z.number().min(0).max(1).default(0)

const warmupFits = (o: { warmupSteps: number; steps?: number | undefined }) => o.steps === undefined || o.warmupSteps < o.steps
const warmupFitsIssue = { message: 'warmupSteps must be smaller than steps (the decay needs at least one step)', path: ['warmupSteps'] }

export const cosineScheduleOptionsSchema = z.object({ ...common, minFactor }).strict().refine(warmupFits, warmupFitsIssue)
export const linearScheduleOptionsSchema = z.object({ ...common, minFactor }).strict().refine(warmupFits, warmupFitsIssue)
export const wsdScheduleOptionsSchema = z
  .object({
    ...common,
    minFactor,
    /** Fraction of the post-warmup steps spent decaying, at the end (e.g. 0.2: the last 20%). */
    decayFraction: z.number().gt(0, 'decayFraction must be > 0').max(1),
    /** Shape of the decay: linear, cosine, or 1 - sqrt (as in the WSD papers). */
    decayShape: z.enum(['linear', 'cosine', 'sqrt']).default('linear'),
  })
  .strict()
  .refine(warmupFits, warmupFitsIssue)
export const stepScheduleOptionsSchema = z
  .object({
    ...common,
    /** Where the rate drops, as fractions of the post-warmup steps, ascending (e.g. [0.5, 0.75]). */
    milestones: z
      .array(fraction('each milestone'))
      .min(1)
      .refine((m) => m.every((x, i) => i === 0 || x > (m[i - 1] as number)), 'milestones must be strictly ascending'),
    /** Factor applied at each milestone (0.1: ten times smaller). */
    gamma: z.number().gt(0).max(1).default(0.1),
  })
  .strict()
  .refine(warmupFits, warmupFitsIssue)

export type CosineScheduleOptions = z.input<typeof cosineScheduleOptionsSchema>
export type LinearScheduleOptions = z.input<typeof linearScheduleOptionsSchema>
export type WsdScheduleOptions = z.input<typeof wsdScheduleOptionsSchema>
export type StepScheduleOptions = z.input<typeof stepScheduleOptionsSchema>

/** A resolved schedule: what `scheduleFactor` computes from. */
export type ScheduleSpec =
  | ({ readonly kind: 'cosine' } & z.output<typeof cosineScheduleOptionsSchema>)
  | ({ readonly kind: 'linear' } & z.output<typeof linearScheduleOptionsSchema>)
  | ({ readonly kind: 'wsd' } & z.output<typeof wsdScheduleOptionsSchema>)
  | ({ readonly kind: 'step' } & z.output<typeof stepScheduleOptionsSchema>)

const cosineShape = (t: number) => 0.5 * (1 + Math.cos(Math.PI * t))

/**
 * The factor on the base rate at 0-based main-phase step `step` of a schedule `total` steps long:
 * warmup first, then the decay over the remaining steps (progress t = (step - warmup) / (total - warmup),
 * as torch's CosineAnnealingLR counts). Past `total` the last step's factor holds.
 */
export function scheduleFactor(spec: ScheduleSpec, step: number, total: number): number {
  const warmup = spec.warmupSteps
  if (step < warmup) return warmupFactor(step, warmup, spec.warmupStartFactor)
  const span = Math.max(1, total - warmup)
  const t = Math.min(step - warmup, span - 1) / span
  switch (spec.kind) {
    case 'cosine':
      return spec.minFactor + (1 - spec.minFactor) * cosineShape(t)
    case 'linear':
      return spec.minFactor + (1 - spec.minFactor) * (1 - t)
    case 'wsd': {
      const decayStart = 1 - spec.decayFraction
      if (t < decayStart) return 1
      const d = (t - decayStart) / spec.decayFraction
      const shape = spec.decayShape === 'cosine' ? cosineShape(d) : spec.decayShape === 'sqrt' ? 1 - Math.sqrt(d) : 1 - d
      return spec.minFactor + (1 - spec.minFactor) * shape
    }
    case 'step':
      return spec.gamma ** spec.milestones.filter((m) => t >= m).length
  }
}

/** The main phase's schedule length: `steps`, else the budget left when the main phase began. */
function scheduleLength(spec: ScheduleSpec, ctx: RunContext): number {
  return spec.steps ?? ctx.maxSteps - (ctx.step - ctx.phase.step)
}

function scheduleTrick(name: string, spec: ScheduleSpec, options: Record<string, unknown>): Trick {
  return {
    name,
    options,
    setup: (ctx) => {
      if (spec.steps === undefined && spec.warmupSteps >= ctx.maxSteps) {
        throw new ConfigError(`${name} options: warmupSteps: got ${spec.warmupSteps}; must be smaller than the run's maxSteps (${ctx.maxSteps})`)
      }
    },
    // Setup phases keep their rate: their length is their own, and each builds a fresh optimizer.
    learningRate: (ctx, lr) => (ctx.phase.name === 'main' ? lr * scheduleFactor(spec, ctx.phase.step, scheduleLength(spec, ctx)) : lr),
  }
}

/** Cosine decay from the base rate to `minFactor` times it over the run's budget, after an optional warmup. */
export function cosineSchedule(options: CosineScheduleOptions = {}): Trick {
  const o = parseOptions(cosineScheduleOptionsSchema, options, 'cosineSchedule options')
  return scheduleTrick('cosine-schedule', { kind: 'cosine', ...o }, o)
}

/** Linear decay from the base rate to `minFactor` times it over the run's budget, after an optional warmup. */
export function linearSchedule(options: LinearScheduleOptions = {}): Trick {
  const o = parseOptions(linearScheduleOptionsSchema, options, 'linearSchedule options')
  return scheduleTrick('linear-schedule', { kind: 'linear', ...o }, o)
}

/**
 * Warmup-stable-decay: warmup, the base rate until the last `decayFraction` of the budget, then a
 * decay to `minFactor` (linear, cosine or 1 - sqrt).
 */
export function wsdSchedule(options: WsdScheduleOptions): Trick {
  const o = parseOptions(wsdScheduleOptionsSchema, options, 'wsdSchedule options')
  return scheduleTrick('wsd-schedule', { kind: 'wsd', ...o }, o)
}

/** Step decay: the rate is multiplied by `gamma` at each milestone (fractions of the budget after warmup). */
export function stepSchedule(options: StepScheduleOptions): Trick {
  const o = parseOptions(stepScheduleOptionsSchema, options, 'stepSchedule options')
  return scheduleTrick('step-schedule', { kind: 'step', ...o }, o)
}
