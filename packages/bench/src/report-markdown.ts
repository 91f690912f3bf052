import { fmtTarget, renderMarkdownExtras, renderMarkdownTable } from './format.js'
import type { RunRecord } from './records.js'
import type { RunJob } from './run-one.js'
import type { SuiteSummary } from './summary.js'

const READING = `How to read this: every arm runs the same seeds; a seed gives the same initialisation and data
order in every arm. **Steps-to-target** is the first evaluated step at which the held-out metric meets
the target (resolution: the evaluation interval). A run that never meets it within the step budget is
**not reached** (censored): it is kept, counted as taking more than the budget, never dropped. The
**speed-up** is baseline steps / arm steps per seed; its median over seeds is shown with a 95% bootstrap
confidence interval (seed pairs resampled). A CI that contains 1 means the bench cannot tell the arm
from the baseline at this number of seeds. 0 means the arm missed where the baseline reached; ∞ the
reverse. **P(faster)** is the share of seed pairs in which the arm needed fewer steps (ties count
half). ms/step is training wall time per step, evaluation excluded.`

/** The per-suite report.md. */
export function renderSuiteMarkdown(
  s: SuiteSummary,
  records: readonly RunRecord[],
  plots: readonly { name: string; title: string }[],
  failures: readonly { job: RunJob; error: Error }[],
): string {
  const first = records[0]
  const perSeed = [
    `| arm | ${s.seeds.map((x) => `seed ${x}`).join(' | ')} |`,
    `|---|${s.seeds.map(() => '---').join('|')}|`,
    ...s.arms.map((a) => `| ${a.arm} | ${s.seeds.map((seed) => {
      const i = a.seeds.indexOf(seed)
      if (i < 0) return '–'
      const v = a.stepsBySeed[i]
      return v === null ? 'not reached' : String(v)
    }).join(' | ')} |`),
  ]
  const lines = [
    `# ${s.suite} (${s.size})`,
    '',
    s.description,
    '',
    `- **Target**: ${fmtTarget(s)}`,
    `- **Seeds**: ${s.seeds.length} paired (${s.seeds.join(', ')}); **max steps** ${s.maxSteps}; **evaluation every** ${s.evalEvery} steps`,
    `- **Backend**: ${[...new Set(s.arms.flatMap((a) => a.backends))].join(', ')}`,
    ...(s.cost ? [`- **Cost unit**: ${s.cost.name} = steps × ${s.cost.perStep}`] : []),
    '',
    '## Results',
    '',
    renderMarkdownTable(s),
    '',
    READING,
    '',
    ...s.arms.filter((a) => a.description).map((a) => `- \`${a.arm}\`: ${a.description}`),
    '',
    ...(renderMarkdownExtras(s) ? ['Collected per arm (medians over seeds):', '', renderMarkdownExtras(s), ''] : []),
    ...plots.map((p) => `![${p.title}](${p.name})`),
    '',
    '## Steps-to-target per seed',
    '',
    ...perSeed,
    '',
    ...(failures.length
      ? ['## Failed runs', '', ...failures.map((f) => `- ${f.job.arm}, seed ${f.job.seed}: ${f.error.message.split('\n')[0]}`), '']
      : []),
    ...(s.notes ? ['## Notes', '', s.notes, ''] : []),
    '## Provenance',
    '',
    `Every run is a line of \`results.jsonl\` (settings hash, seed, arm, tricks in applied order with options, backend, package versions, git revision, evaluation history).`,
    ...(first ? [`Git revision ${first.provenance.gitRevision ?? 'unknown'}; ${Object.entries(first.provenance.packages).map(([k, v]) => `${k} ${v}`).join(', ')}; Node ${first.provenance.node}.`] : []),
    '',
  ]
  return lines.join('\n')
}
