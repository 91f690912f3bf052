/**
 * Pretrains the stem + encoder of `fashionDetection`'s mini DETR once and saves them as the
 * committed pretrained encoder (src/fashion/nets/detection-encoder/): a plain DETR run (one group of
 * queries, one-to-one matching) at the task's default shape, on seed 9001 (disjoint from the bench's
 * reported seeds 1…N, tuning seeds 1001… and pilot seeds 2001…), Adam lr 1e-3, batch 16. Only the
 * stem and encoder weights are exported (`exportWeights`: weights.json + weights.bin); a run with
 * `fashionDetection({ pretrainedEncoder: FASHION_DETECTION_ENCODER_DIR })` loads them frozen and
 * draws its decoder, heads and queries from its own seed.
 *
 * Run: `npx tsx packages/tasks/scripts/pretrain-detection-encoder.ts [steps] [outDir]`
 * (needs the full Fashion-MNIST: `sudo apt-get install dataset-fashion-mnist`). The committed weights:
 * `npx tsx packages/tasks/scripts/pretrain-detection-encoder.ts 2000`, WASM, 254 ms/step, 8.7 min in all on
 * the shared 2-core machine (load ≈ 4); the pretraining run's own detector reached AP50 0.227 / AP 0.087
 * on the task's 256 validation canvases at step 2000 (AP50 0.050 at step 800, 0.163 at 1400).
 */
import { exportedName, exportWeights, silentLogger, train } from '@converge/core'
import { FASHION_DETECTION_ENCODER_DIR, fashionDetection } from '../src/index.js'
import { isEncoderWeight } from '../src/set-prediction/mini-detr.js'

const steps = Number(process.argv[2] ?? 2000)
const out = process.argv[3] ?? FASHION_DETECTION_ENCODER_DIR
const SEED = 9001

const started = Date.now()
const result = await train({
  task: fashionDetection({ learningRate: 1e-3 }),
  seed: SEED,
  maxSteps: steps,
  evalEvery: Math.max(1, Math.floor(steps / 10)),
  backend: 'wasm',
  log: silentLogger,
  onEval: (record) => console.log(`step ${record.step}: ${JSON.stringify(record.metrics)} (${((Date.now() - started) / 1000).toFixed(0)} s)`),
  async onEnd(_result, ctx) {
    const encoder = ctx.variables.filter((v) => isEncoderWeight(exportedName(v.name)))
    const saved = await exportWeights(encoder, out)
    console.log(`saved ${saved.names.length} weights (${saved.bytes} bytes) to ${out}: ${saved.names.join(', ')}`)
  },
})
console.log(`${steps} steps, seed ${SEED}: ${(result.trainMs / steps).toFixed(0)} ms/step, ${((Date.now() - started) / 60000).toFixed(1)} min in all`)
