import { describeValue } from '../describe-value.js'
import { ContractError } from '../errors.js'
import type { EvalRecord } from '../result.js'
import { meetsTarget, type Metrics } from '../task.js'
import type { Trick } from '../trick.js'
import type { Run } from './run.js'

/**
 * One evaluation: beforeEvaluate hooks (e.g. swap in averaged weights), the task's evaluation,
 * afterEvaluate hooks in reverse order (swap back, add metrics), then — on the metrics as they
 * are now final — the history record and the target check, so steps-to-target, history and
 * stopAtTarget always agree; then the `evaluate` hooks and the `onEval` observer.
 */
export async function evaluate(run: Run): Promise<void> {
  const started = performance.now()
  const { driver, target } = run
  await driver.notifyAsync('beforeEvaluate')
  const raw = await run.instance.evaluate(run.observer)
  checkMetrics(raw, `task "${run.o.task.name}"'s evaluate()`)
  const metrics = await driver.chainAsync('afterEvaluate', raw, [], (m: Metrics, t: Trick) => checkMetrics(m, `trick "${t.name}"'s afterEvaluate hook`))
  const value = metrics[target.metric]
  if (value === undefined) {
    throw new ContractError(`target metric "${target.metric}" is not among task "${run.o.task.name}"'s metrics (${Object.keys(metrics).join(', ')})`)
  }
  const record: EvalRecord = { step: run.step, metrics, trainMs: run.trainMs }
  run.history.push(record)
  if (run.reachedAt === null && meetsTarget(value, target)) {
    run.reachedAt = run.step
    run.log.info({ step: run.step, [target.metric]: value }, 'target reached')
    if (run.o.stopAtTarget) run.stop('target reached')
  }
  await driver.notifyAsync('evaluate', metrics)
  run.progress.evaluated(run.step, metrics)
  run.metricsFile?.evaluated(run.step, metrics)
  run.o.onEval?.(record, run.observer)
  run.log.debug({ step: run.step, ...metrics }, 'eval')
  run.evalMs += performance.now() - started
}

function checkMetrics(metrics: unknown, producer: string): asserts metrics is Metrics {
  if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) {
    throw new ContractError(`${producer} returned ${describeValue(metrics)}; expected an object of named numbers`)
  }
  for (const [name, v] of Object.entries(metrics)) {
    if (typeof v !== 'number') throw new ContractError(`${producer}: metric "${name}" is ${describeValue(v)}; metrics must be numbers (read tensors back first)`)
  }
}
