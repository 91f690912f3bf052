/**
 * A schedule, EMA of the weights, early stopping, a metrics file and an export in one run, on the
 * synthetic classification task with noisy labels; then the exported weights are loaded back into
 * a fresh task instance, which evaluates as the run's restored best weights did.
 *
 *   npx tsx examples/loop-features.ts [outDir]     (default: a temporary folder; a few seconds on WASM)
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { cosineSchedule, earlyStopping, ema, exportWeights, loadWeights, SeedStreams, silentLogger, syntheticClassification, train } from '@converge/core'

const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'converge-loop-features-'))
const task = syntheticClassification({ labelNoise: 0.3, learningRate: 0.01 })

// ema first, so earlyStopping watches the averaged metrics; the cosine decay spans the whole budget.
const averaging = ema({ decay: 0.95, startStep: 20 })
const stopper = earlyStopping({ metric: 'loss', direction: 'min', patience: 6, minDelta: 1e-3 })
let exported: string[] = []
const result = await train({
  task,
  tricks: [cosineSchedule({ warmupSteps: 30, minFactor: 0.05 }), averaging, stopper],
  seed: 1,
  maxSteps: 1500,
  evalEvery: 25,
  metricsFile: path.join(out, 'run.csv'),
  log: 'warn',
  // earlyStopping has put the best weights back by now: export them (and the running average).
  onEnd: async (_r, ctx) => {
    exported = (await exportWeights(ctx.variables, path.join(out, 'best'))).names
    await exportWeights(Object.fromEntries(averaging.averaged().map((t, i) => [exported[i]!, t])), path.join(out, 'ema'))
  },
})

const last = result.history.at(-1)!.metrics
console.log(`stopped: ${result.stopReason} at step ${result.steps}; best averaged loss ${stopper.best?.value.toFixed(4)} at step ${stopper.best?.step}`)
console.log(`last evaluation: averaged accuracy ${last.accuracy?.toFixed(3)}, live accuracy ${last['live.accuracy']?.toFixed(3)}`)
console.log(`metrics file: ${path.join(out, 'run.csv')} (${fs.readFileSync(path.join(out, 'run.csv'), 'utf8').trim().split('\n').length - 1} rows)`)

// Another program would do the same: a fresh instance, the exported weights assigned by name.
const instance = await task.create({ seed: 0, streams: new SeedStreams(0), log: silentLogger, variableName: (n) => `inference/${n}` })
const weights = loadWeights(path.join(out, 'best'))
instance.variables.forEach((v, i) => v.assign(weights[exported[i]!]!))
tf.dispose(Object.values(weights))
console.log(`exported best weights (${exported.join(', ')}) reloaded: live accuracy ${((await instance.evaluate()).accuracy ?? 0).toFixed(3)}`)
instance.dispose()
