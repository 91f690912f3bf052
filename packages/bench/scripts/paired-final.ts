/**
 * Paired final values at the full budget, read from a suite's results.jsonl: per arm, how many
 * times better it ends than the baseline (per seed, and the signed-rank interval over seeds).
 *
 *   npx tsx packages/bench/scripts/paired-final.ts <out>/<suite>/results.jsonl <baseline> <metric> <min|max>
 */
import { readRecords } from '../src/records.js'
import { pairedFinal } from '../src/paired-final.js'

const [path, baseline, metric, direction] = process.argv.slice(2)
if (!path || !baseline || !metric || (direction !== 'min' && direction !== 'max')) {
  console.error('usage: paired-final.ts <results.jsonl> <baseline arm> <metric> <min|max>')
  process.exit(2)
}
const records = readRecords(path)
if (records.length === 0) {
  console.error(`no records in ${path}`)
  process.exit(2)
}
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x))
console.log(`final ${metric} at the full budget, baseline "${baseline}" / arm (> 1: the arm ends better)`)
for (const p of pairedFinal(records, baseline, metric, direction)) {
  const e = p.estimate
  const interval = e.enough ? `${fmt(e.estimateLow)}x [${fmt(e.low)}, ${fmt(e.high)}] (${e.method}, ${Math.round(e.level * 1000) / 10}%)` : `too few pairs (${e.n})`
  console.log(`${p.arm}: ${interval}; per seed ${p.seeds.map((s, i) => `${s}:${fmt(p.ratios[i]!)}`).join(' ')}`)
}
