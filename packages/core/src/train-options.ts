import type { Logger } from 'pino'
import { z } from 'zod'
import { BACKEND_NAMES } from './backends/use-backend.js'
import type { RunContext } from './context.js'
import { optimizerSpecSchema } from './optimizer.js'
import type { EvalRecord, RunResult, TraceEvent } from './result.js'
import type { StepReport } from './step-report.js'
import type { TaskDefinition } from './task.js'
import type { Trick } from './trick.js'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const isFunction = (v: unknown): boolean => typeof v === 'function'
const fn = <F>(what: string) => z.custom<F>(isFunction, `expected a function ${what}`)

const taskSchema = z.custom<TaskDefinition>(
  (v) => isObject(v) && typeof v.name === 'string' && isFunction(v.create) && isObject(v.target) && isObject(v.optimizer),
  'expected a task definition: an object with name, target, optimizer and create()',
)

/** Steps between checkpoints by default (measured overhead in docs/performance.md). */
export const DEFAULT_CHECKPOINT_EVERY = 1000

const LOG_LEVELS = ['silent', 'trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

export const trainOptionsSchema = z
  .object({
    task: taskSchema,
    /** Checked one by one against the Trick contract (`validateTricks`) for precise errors. */
    tricks: z.array(z.custom<Trick>(() => true)).default([]),
    /** Root seed: init, data order and every trick's randomness derive from it. */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
    /** Optimizer steps at most, setup phases included. */
    maxSteps: z.number().int().positive(),
    /** Evaluate on the held-out set every this many steps (and at the start and the end). */
    evalEvery: z.number().int().positive().default(50),
    /** Overrides parts of the task's target. */
    target: z
      .object({ metric: z.string().min(1), direction: z.enum(['min', 'max']), value: z.number().finite() })
      .partial()
      .strict()
      .optional(),
    /**
     * Gradient accumulation: each optimizer step averages the gradients (and loss terms) of this
     * many micro-batches, so a step equals one on a k-times batch for mean losses. Main phase only;
     * every micro-batch counts towards no step of its own.
     */
    accumulate: z.number().int().positive().default(1),
    /** End the run at the first evaluation that meets the target. */
    stopAtTarget: z.boolean().default(false),
    backend: z.enum(BACKEND_NAMES).default('auto'),
    /** WASM only: install converge's kernel fixes (default true). */
    tunedWasm: z.boolean().default(true),
    /** Replaces the task's default optimizer (a trick's `optimizer` hook still takes precedence). */
    optimizer: optimizerSpecSchema.optional(),
    /** A pino logger, or a level for a readable stderr logger. Default: silent. */
    log: z.union([z.enum(LOG_LEVELS), z.custom<Logger>((v) => isObject(v) && isFunction(v.info), 'expected a pino logger')]).optional(),
    /** With logging at info: a progress line every this many steps (default: maxSteps / 10). */
    logEvery: z.number().int().positive().optional(),
    /**
     * A file to write one row per step to (step, phase, lr, loss and its terms, ms) with the
     * evaluation metrics on evaluated steps; the format by extension: `.csv` or `.jsonl`.
     */
    metricsFile: z
      .string()
      .min(1)
      .refine((f) => /\.(csv|jsonl)$/.test(f), 'expected a path ending in .csv or .jsonl (the extension picks the format)')
      .optional(),
    /** Record every hook call (`trick/<name>/<hook>`) in the result, or pass each to a function. */
    trace: z.union([z.boolean(), fn<(e: TraceEvent) => void>('(event) => void')]).default(false),
    /**
     * Write the whole run state to `dir` every `everySteps` steps (at the first batch boundary from
     * there) and at the end, keeping the newest `keep`. See docs/guide.md, "Checkpoints".
     */
    checkpoint: z
      .object({
        dir: z.string().min(1),
        everySteps: z.number().int().positive().default(DEFAULT_CHECKPOINT_EVERY),
        keep: z.number().int().positive().default(2),
      })
      .strict()
      .optional(),
    /**
     * Continue from the newest complete checkpoint in `checkpoint.dir`, bit for bit as if the run
     * had not stopped; with none there, start at step 0. Without it, a directory that already holds
     * checkpoints is an error.
     */
    resume: z.boolean().default(false),
    /** Observer called after every step, after all tricks; must not change training. */
    onStep: fn<(report: StepReport, ctx: RunContext) => void>('(report, ctx) => void').optional(),
    /** Observer called after every evaluation. */
    onEval: fn<(record: EvalRecord, ctx: RunContext) => void>('(record, ctx) => void').optional(),
    /**
     * Called once the run has ended (after the `end` hooks), before the run frees the task's
     * variables: the place to save or export the trained weights (`ctx.variables`).
     */
    onEnd: fn<(result: RunResult, ctx: RunContext) => void | Promise<void>>('(result, ctx) => void').optional(),
  })
  .strict()
  .refine((o) => !o.resume || o.checkpoint !== undefined, { message: 'resume: true needs checkpoint: { dir } (where to resume from)', path: ['resume'] })

export type TrainOptions = z.input<typeof trainOptionsSchema>
export type ResolvedTrainOptions = z.output<typeof trainOptionsSchema>
