/**
 * Trains the synthetic char-LM with Adam and with FRUGAL (Adam on a 25% SVD subspace of each block
 * kernel, signSGD on the rest) and prints steps-to-target and optimizer-state bytes.
 *
 *   npx tsx examples/frugal.ts [maxSteps]        (default 2500; about 30 s per run on WASM)
 */
import { train } from '@converge/core'
import { charLm } from '@converge/tasks'
import { frugal, plainAdam } from '@converge/frugal'
import { FRUGAL_ARMS, FRUGAL_TASK_OPTIONS } from '@converge/frugal/bench'

const maxSteps = Number(process.argv[2] ?? 2500)
const task = charLm(FRUGAL_TASK_OPTIONS)
const lr = (arm: string) => FRUGAL_ARMS.find((a) => a.name === arm)!.learningRate
console.log(`char-LM: target held-out loss <= ${task.target.value.toFixed(3)} nats/char (source floor + ${FRUGAL_TASK_OPTIONS.targetExcess})`)

let adamBytes = 0
for (const [label, trick, rate] of [
  ['adam', plainAdam(), lr('adam')],
  ['frugal (svd, ρ=0.25)', frugal({ subspace: 'svd', density: 0.25, stateFree: 'signsgd', updateGap: 200 }), lr('frugal-svd')],
] as const) {
  const result = await train({ task, tricks: [trick], optimizer: { name: 'adam', learningRate: rate }, seed: 1, maxSteps, evalEvery: 50, backend: 'wasm', log: 'warn' })
  const bytes = trick.optimizerStateBytes()!.peak
  if (label === 'adam') adamBytes = bytes
  const best = Math.min(...result.history.map((h) => h.metrics.loss ?? Infinity))
  console.log(
    `${label.padEnd(22)} steps-to-target ${String(result.stepsToTarget ?? 'not reached').padStart(5)}  best loss ${best.toFixed(3)}  ` +
      `optimizer state ${(bytes / 1024).toFixed(0)} KiB (${((100 * bytes) / adamBytes).toFixed(0)}% of Adam)  ` +
      `${(result.trainMs / result.steps).toFixed(1)} ms/step on ${result.backend.name}`,
  )
}
