/**
 * Trains the small char-LM transformer of the `orthogonal` bench suite with AdamW, Muon and ROOT
 * and prints steps-to-target, wall-clock and optimizer-state bytes.
 *
 *   npx tsx examples/orthogonal.ts [maxSteps]        (default 500; 20–40 s per run on WASM)
 *
 * The rates are the ones the suite's tuning picked at quick size (see the package README).
 */
import { train } from '@converge/core'
import { charLmTransformer, SMALL_CHAR_LM_TRANSFORMER } from '@converge/tasks'
import { adamw, muon, root } from '@converge/orthogonal'
import { ADAM_PART_LR } from '@converge/orthogonal/bench'

const maxSteps = Number(process.argv[2] ?? 500)
const task = charLmTransformer(SMALL_CHAR_LM_TRANSFORMER)
console.log(`char-LM transformer: target held-out loss <= ${task.target.value.toFixed(3)} nats/char (source floor + ${SMALL_CHAR_LM_TRANSFORMER.targetExcess})`)

const arms = [
  { label: 'adamw (lr 4e-3)', trick: adamw(), adamLr: 4e-3 },
  { label: 'muon (lr 0.005)', trick: muon({ learningRate: 0.005 }), adamLr: ADAM_PART_LR },
  { label: 'root (q 0.9, lr 0.01)', trick: root({ learningRate: 0.01, scale: 'keller' }), adamLr: ADAM_PART_LR },
]
let adamBytes = 0
for (const { label, trick, adamLr } of arms) {
  const result = await train({ task, tricks: [trick], optimizer: { name: 'adam', learningRate: adamLr }, seed: 1, maxSteps, evalEvery: 25, backend: 'wasm', log: 'warn' })
  const bytes = trick.optimizerStateBytes()!.peak
  if (label.startsWith('adamw')) adamBytes = bytes
  const best = Math.min(...result.history.map((h) => h.metrics.loss ?? Infinity))
  const msPerStep = result.trainMs / result.steps
  const reached = result.stepsToTarget
  console.log(
    `${label.padEnd(22)} steps-to-target ${String(reached ?? 'not reached').padStart(11)}  ` +
      `time ${reached ? `${((reached * msPerStep) / 1000).toFixed(1)} s` : '-'}  best loss ${best.toFixed(3)}  ` +
      `state ${(bytes / 1024).toFixed(1)} KiB (${((100 * bytes) / adamBytes).toFixed(0)}% of AdamW)  ${msPerStep.toFixed(1)} ms/step on ${result.backend.name}`,
  )
}
