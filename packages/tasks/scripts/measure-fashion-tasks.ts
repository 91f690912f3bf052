/**
 * Cost of the real-data tasks at their default sizes: training ms/step (evaluation excluded) and
 * the time of one evaluation, on one backend, side by side with the synthetic tasks they extend.
 * Run: `pnpm tsx packages/tasks/scripts/measure-fashion-tasks.ts [wasm|cpu] [steps]`.
 */
import { silentLogger, train, type BackendName, type TaskDefinition } from '@converge/core'
import { fashionDetection, fashionDiffusion, setPrediction, shapesDiffusion } from '../src/index.js'

const backend = (process.argv[2] ?? 'wasm') as BackendName
const steps = Number(process.argv[3] ?? 20)
const tasks: [string, () => TaskDefinition][] = [
  ['shapesDiffusion (defaults)', () => shapesDiffusion() as unknown as TaskDefinition],
  ['fashionDiffusion (defaults)', () => fashionDiffusion() as unknown as TaskDefinition],
  ['setPrediction (defaults)', () => setPrediction() as unknown as TaskDefinition],
  ['fashionDetection (defaults)', () => fashionDetection() as unknown as TaskDefinition],
]
for (const [name, task] of tasks) {
  const r = await train({ task: task(), maxSteps: steps, evalEvery: steps, backend, seed: 1, log: silentLogger })
  console.log(`${name}: ${(r.trainMs / steps).toFixed(1)} ms/step over ${steps} steps, one evaluation ${(r.evalMs / r.history.length / 1000).toFixed(1)} s (${r.backend.name})`)
}
