/**
 * Pilot for the `group-detr-fashion` suite, on pilot seeds (2001…, disjoint from the reported seeds
 * 1…N and the tuning seeds 1001…), with the suite's task, optimizer and clip:
 *   time  [steps]          — ms/step of K = 1, K = 4, 120 queries in one group and K = 4 unseparated,
 *                            interleaved twice under the same load, and one evaluation on 256 canvases;
 *   curve <K> <lr> [steps] [seed] — AP50 / AP every 50 steps of one run.
 * Run: `npx tsx packages/tricks/group-detr/scripts/fashion-pilot.ts time 15`,
 *      `npx tsx packages/tricks/group-detr/scripts/fashion-pilot.ts curve 1 1e-3 800 2001`.
 */
import { gradClip, silentLogger, train, type Trick } from '@converge/core'
import { fashionDetection } from '@converge/tasks'
import { FASHION_CLIP, FASHION_QUERIES, FASHION_WEIGHT_DECAY, GROUP_DETR_FASHION_TASK_OPTIONS } from '../src/fashion-suite.js'
import { groupDetr } from '../src/group-detr.js'

const options = GROUP_DETR_FASHION_TASK_OPTIONS.full
const run = (groups: number, lr: number, steps: number, seed: number, evalEvery: number, extra: { queries?: number; separate?: boolean } = {}) => {
  const tricks: Trick[] = [gradClip({ maxNorm: FASHION_CLIP })]
  if (groups > 1) tricks.push(groupDetr({ groups, separateSelfAttention: extra.separate ?? true }))
  const started = Date.now()
  return train({
    task: fashionDetection({ ...options, queries: extra.queries ?? FASHION_QUERIES }),
    tricks,
    optimizer: { name: 'adam', learningRate: lr, weightDecay: FASHION_WEIGHT_DECAY },
    maxSteps: steps,
    evalEvery,
    seed,
    backend: 'wasm',
    log: silentLogger,
    onEval: (r) => {
      if (evalEvery < steps) console.log(`step ${r.step}: ap50 ${r.metrics.ap50?.toFixed(4)} ap ${r.metrics.ap?.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
    },
  })
}

const [mode = 'time', ...rest] = process.argv.slice(2)
if (mode === 'time') {
  const steps = Number(rest[0] ?? 15)
  const arms: [string, () => ReturnType<typeof run>][] = [
    ['K = 1, Q = 30', () => run(1, 1e-3, steps, 2001, steps)],
    ['K = 4, Q = 30', () => run(4, 1e-3, steps, 2001, steps)],
    ['120 queries, one group', () => run(1, 1e-3, steps, 2001, steps, { queries: 4 * FASHION_QUERIES })],
    ['K = 4 unseparated', () => run(4, 1e-3, steps, 2001, steps, { separate: false })],
  ]
  for (let round = 1; round <= 2; round++) {
    for (const [name, go] of arms) {
      const r = await go()
      console.log(`round ${round} ${name}: ${(r.trainMs / steps).toFixed(0)} ms/step, one evaluation on ${options.valSize} canvases ${(r.evalMs / r.history.length / 1000).toFixed(2)} s`)
    }
  }
} else {
  const [groups = '1', lr = '1e-3', steps = '800', seed = '2001'] = rest
  const r = await run(Number(groups), Number(lr), Number(steps), Number(seed), 50)
  console.log(`K = ${groups}, lr ${lr}, seed ${seed}: ${(r.trainMs / Number(steps)).toFixed(0)} ms/step, ${(r.evalMs / r.history.length / 1000).toFixed(2)} s per evaluation`)
}
