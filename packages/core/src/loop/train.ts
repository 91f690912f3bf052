import { useBackend } from '../backends/use-backend.js'
import { createLogger, silentLogger } from '../logging.js'
import { parseOptions } from '../parse-options.js'
import type { RunResult, TraceEvent } from '../result.js'
import { validateTricks } from '../hooks/validate-tricks.js'
import { makeWritableDir } from '../files/make-dir.js'
import { checkTaskDefinition } from '../task-checks.js'
import { trainOptionsSchema, type TrainOptions } from '../train-options.js'
import { CheckpointError } from '../checkpoint/errors.js'
import { listCheckpoints } from '../checkpoint/format.js'
import { Checkpointer, ResumePoint } from '../checkpoint/run-state.js'
import { evaluate } from './evaluation.js'
import { MetricsFile } from './metrics-file.js'
import { Run } from './run.js'
import { settleLoss } from './deferred-loss.js'
import { takeStep } from './step.js'

/**
 * Trains `options.task` with `options.tricks` and reports steps-to-target.
 *
 * Our own loop over `tf.variableGrads` + `optimizer.applyGradients`, so tricks can act between
 * forward, loss, gradients and the optimizer step (see `HOOKS` for where each hook runs). Every
 * option and every trick is checked before any work; a requested backend that cannot start is an
 * error; the run frees everything it made, also when it fails.
 */
export async function train(options: TrainOptions): Promise<RunResult> {
  // -- check options and tricks before any work ---------------------------------------------
  const o = parseOptions(trainOptionsSchema, options, 'train options')
  checkTaskDefinition(o.task)
  validateTricks(o.tricks)
  if (o.checkpoint) makeWritableDir(o.checkpoint.dir, 'checkpoint.dir')
  const traceEvents: TraceEvent[] | null = o.trace === true ? [] : null
  const trace = traceEvents ? (e: TraceEvent) => traceEvents.push(e) : typeof o.trace === 'function' ? o.trace : null
  const log = typeof o.log === 'string' ? createLogger({ level: o.log, readable: true }) : (o.log ?? silentLogger)
  const backend = await useBackend(o.backend, { tunedWasm: o.tunedWasm })
  const run = new Run(o, o.tricks, backend, log, trace)
  try {
    // -- checkpoints: refuse to mix runs in one directory; find the one to resume ------------
    if (o.checkpoint) {
      const { dir, everySteps, keep } = o.checkpoint
      run.checkpointer = new Checkpointer(run, dir, everySteps, keep)
      const existing = listCheckpoints(dir)
      if (existing.length > 0 && !o.resume) {
        throw new CheckpointError(`${dir} already holds checkpoints (newest: step ${existing[0]!.step}); pass resume: true to continue that run, or choose an empty directory`)
      }
      const latest = o.resume ? run.checkpointer.findLatest(log) : null
      if (latest) run.resuming = new ResumePoint(latest.checkpoint, latest.info)
      else if (o.resume) log.info({ dir }, 'no checkpoint to resume from; starting at step 0')
    }
    const resumedFrom = run.resuming?.info
    if (o.metricsFile) run.metricsFile = resumedFrom ? MetricsFile.resumed(o.metricsFile, resumedFrom.step) : new MetricsFile(o.metricsFile)
    // -- the task, checked against the tricks' capabilities -------------------------------
    await run.createTask()
    log.info({ task: o.task.name, seed: o.seed, backend: backend.name, tricks: o.tricks.map((t) => t.name).join(',') || 'none' }, 'run start')

    // -- setup: tricks may add variables and run phases (their steps count) ----------------
    await run.setup()

    // -- main phase: train until maxSteps, a stop() or the target (with stopAtTarget) -------
    run.markPhaseStart()
    const optimizer = run.mainOptimizer()
    run.beginPhase({
      name: 'main',
      optimizer,
      variables: run.trainVariables,
      baseLearningRate: run.baseOptimizer.learningRate,
      currentLearningRate: Number.NaN,
      batches: run.batchStream('main'),
      objective: null,
      owner: null,
      startStep: run.step,
      cost: 1,
      stepsTaken: 0,
    })
    if (!(await run.resumeHere())) await evaluate(run)
    while (run.step < o.maxSteps && run.stopReason === null) {
      await takeStep(run, run.active!)
      if (run.evaluatesAfter(run.step)) {
        await settleLoss(run, true) // a loss read one step late is checked and recorded before any evaluation
        await evaluate(run)
      }
      await run.checkpointer?.afterStep()
    }
    await settleLoss(run, true)
    run.stop('budget') // no trick, target or user stopped it: the budget ended the run
    run.progress.flush()
    run.metricsFile?.flush()
    await run.checkpointer?.atEnd()
    run.endPhase()

    // -- result, end hooks, onEnd (before anything is freed) --------------------------------
    const result: RunResult = {
      task: { name: o.task.name, options: o.task.options },
      seed: o.seed,
      backend,
      tricks: o.tricks.map((t) => ({ name: t.name, options: t.options ?? {} })),
      target: run.target,
      stepsToTarget: run.reachedAt,
      reached: run.reachedAt !== null,
      steps: run.step,
      maxSteps: o.maxSteps,
      evalEvery: o.evalEvery,
      history: run.history,
      losses: run.losses,
      lossTerms: run.terms.terms(),
      reportedTerms: run.terms.reported(),
      phases: run.phases,
      trainMs: run.trainMs,
      evalMs: run.evalMs,
      ...(run.checkpointer ? { checkpointMs: run.checkpointMs } : {}),
      stopReason: run.stopReason ?? 'budget',
      ...(traceEvents ? { trace: traceEvents } : {}),
      ...(resumedFrom ? { resumedFrom } : {}),
    }
    await run.driver.notifyAsync('end', result)
    await o.onEnd?.(result, run.observer)
    log.info({ steps: run.step, stepsToTarget: run.reachedAt ?? 'not reached', trainMs: Math.round(run.trainMs) }, 'run end')
    return result
  } finally {
    run.metricsFile?.flush() // the rows so far, also when the run failed
    run.dispose()
  }
}
