/**
 * Checkpoint overhead: the same run with and without `checkpoint` (every `--every` steps, default
 * the library default, plus the final one), interleaved round by round in one process so machine
 * drift hits both alike. Reports the median wall time of a whole train() call (evaluation only at
 * the start and the end), the per-round ratio, ms per checkpoint and its size on disk, and — the
 * figure that load on a shared machine disturbs least — the time the checkpointed run spent
 * writing checkpoints (`result.checkpointMs`) relative to the rest of that same run.
 *
 *   npx tsx packages/core/bench/checkpoint-overhead.ts [--backend wasm|cpu] [--steps 2000] [--rounds 7] [--hidden 32] [--every 1000]
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_CHECKPOINT_EVERY, listCheckpoints, syntheticClassification, train, type BackendName } from '../src/index.js'

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '7' },
    hidden: { type: 'string', default: '32' },
    batch: { type: 'string', default: '32' },
    every: { type: 'string', default: String(DEFAULT_CHECKPOINT_EVERY) },
  },
})
const steps = Number(values.steps)
const every = Number(values.every)
const task = syntheticClassification({ hidden: Number(values.hidden), batchSize: Number(values.batch) })
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-ckpt-bench-'))

async function once(seed: number, checkpoint: boolean): Promise<{ wallMs: number; checkpointMs: number; bytes: number; writes: number }> {
  const dir = path.join(root, `run-${seed}-${checkpoint}`)
  const started = performance.now()
  const r = await train({ task, seed, maxSteps: steps, evalEvery: steps, backend: values.backend as BackendName, ...(checkpoint ? { checkpoint: { dir, everySteps: every } } : {}) })
  const wallMs = performance.now() - started
  const newest = checkpoint ? listCheckpoints(dir)[0] : undefined
  const bytes = newest ? fs.readdirSync(newest.path).reduce((sum, f) => sum + fs.statSync(path.join(newest.path, f)).size, 0) : 0
  fs.rmSync(dir, { recursive: true, force: true })
  return { wallMs, checkpointMs: r.checkpointMs ?? 0, bytes, writes: checkpoint ? Math.ceil(steps / every) : 0 }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
await once(99, true) // warm-up: kernel set-up, WASM heap growth
const rows: { plain: number; ckpt: number; ratio: number; perWrite: number; bytes: number; share: number }[] = []
for (let i = 1; i <= Number(values.rounds); i++) {
  // Alternate which arm goes first, so a slow patch of the machine does not always hit the same one.
  const [a, b] = i % 2 ? [await once(i, false), await once(i, true)] : [await once(i, true), await once(i, false)].reverse()
  const plain = a!.wallMs
  const ckpt = b!.wallMs
  rows.push({ plain, ckpt, ratio: ckpt / plain, perWrite: b!.checkpointMs / b!.writes, bytes: b!.bytes, share: b!.checkpointMs / (ckpt - b!.checkpointMs) })
  console.log(`round ${i}: plain ${plain.toFixed(0)} ms, with checkpoints ${ckpt.toFixed(0)} ms (ratio ${(ckpt / plain).toFixed(3)}; ${b!.writes} writes, ${(b!.checkpointMs / b!.writes).toFixed(1)} ms each)`)
}
const ratios = rows.map((r) => r.ratio)
console.log(
  `${values.backend}, 16 → ${values.hidden} → 4, batch ${values.batch}, ${steps} steps, checkpoint every ${every}: ` +
    `plain ${(median(rows.map((r) => r.plain)) / steps).toFixed(3)} ms/step, with checkpoints ${(median(rows.map((r) => r.ckpt)) / steps).toFixed(3)} ms/step, ` +
    `ratio ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)} – ${Math.max(...ratios).toFixed(3)}), ` +
    `${median(rows.map((r) => r.perWrite)).toFixed(1)} ms per checkpoint, ${(rows[0]!.bytes / 1024).toFixed(0)} KiB each (the last); ` +
    `checkpoint writing / rest of the same run: ${(100 * median(rows.map((r) => r.share))).toFixed(2)}% (${(100 * Math.min(...rows.map((r) => r.share))).toFixed(2)} – ${(100 * Math.max(...rows.map((r) => r.share))).toFixed(2)}%)`,
)
fs.rmSync(root, { recursive: true, force: true })
