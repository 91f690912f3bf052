/**
 * Trains the core's synthetic classification task with the two built-in tricks and prints
 * steps-to-target for a baseline run and a run with the tricks.
 *
 *   pnpm --filter @converge/examples core          (or: npx tsx examples/core-tricks.ts)
 */
import { gradClip, lrWarmup, syntheticClassification, train } from '@converge/core'

const task = syntheticClassification({ targetAccuracy: 0.85 })
for (const [label, tricks] of [
  ['baseline', []],
  ['warmup + clip', [lrWarmup({ steps: 50 }), gradClip({ maxNorm: 1 })]],
] as const) {
  const result = await train({ task, tricks: [...tricks], seed: 1, maxSteps: 600, evalEvery: 25, log: 'warn' })
  const best = Math.max(...result.history.map((h) => h.metrics.accuracy ?? 0))
  console.log(
    `${label.padEnd(14)} steps-to-target (accuracy >= ${result.target.value}): ${result.stepsToTarget ?? 'not reached'}` +
      `  best accuracy ${best.toFixed(3)}  ${(result.trainMs / result.steps).toFixed(2)} ms/step on ${result.backend.name}`,
  )
}
