import { fmtNoise, fmtTarget, renderBudgetMatchedMarkdown, renderMarkdownExtras, renderMarkdownTable, renderTargetLevelsMarkdown, renderTuningMarkdown } from './format.js'
import { MIN_INFORMATIVE_PAIRS } from './paired-ratio.js'
import { DETECTABLE_LIMIT } from './verdict.js'
import type { RunRecord } from './records.js'
import type { RunJob } from './run-one.js'
import type { SuiteSummary } from './summary.js'

const READING = `How to read this: every arm runs the same seeds; a seed gives the same initialisation and data
order in every arm. **Steps-to-target** is the first evaluated step at which the held-out metric meets
the target (resolution: the evaluation interval). A run that never meets it within the step budget is
**not reached** (censored): it is kept, counted as taking more than the budget, never dropped. The
**speed-up** is baseline steps / arm steps per seed, paired by seed. A censored run only bounds its
pair's ratio (the arm missed: \`< baseline steps / budget\`; the baseline missed: \`> budget / arm
steps\`), so a median that depends on such a pair is printed as a bound (\`< 0.42x\`, \`> 2.0x\`); a
pair where neither reached carries no information and is left out. Fewer than ${MIN_INFORMATIVE_PAIRS} informative
pairs print no ratio. The **interval** column says which confidence interval a row uses. When every
pair reached on both runs it is the Wilcoxon signed-rank interval on log ratios, with the
Hodges–Lehmann estimate (median of the pairwise averages of log ratios): exact when the per-pair log
ratio is symmetric, which paired seeds give when both arms' run-to-run noise has the same law; from 7
pairs on it is narrower than the sign test's. With a censored or left-out pair it is the sign-test
(order-statistic) interval for the median ratio, exact for any distribution, and the estimate is the
median ratio. Below 6 pairs neither can reach 95% and the real level is printed beside it. A CI that contains 1 means the bench cannot tell the arm from the baseline at this
number of seeds. The **verdict** follows from the interval and the **minimum detectable speed-up** X
(the smallest true speed-up this test, at this row's pairs and its observed spread of per-pair log
ratios, would have called faster with 80% power, from a seeded simulation): *faster* or *slower*
when the interval excludes 1; otherwise *no difference detected (could have detected ≥ X)* when X ≤
${DETECTABLE_LIMIT}x, else *inconclusive (could only detect ≥ X)*. X assumes no censoring; a row with
censored pairs says so (its real X is larger). **P(faster)** is the share of seed pairs in which the arm needed fewer steps (ties
count half). ms/step is training wall time per step, evaluation excluded; arms are interleaved per
seed and every worker warms up first, so time columns compare arms under the same conditions.`

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
      return v === null ? `not reached in ${s.maxSteps}` : String(v)
    }).join(' | ')} |`),
  ]
  const lines = [
    `# ${s.suite} (${s.size})`,
    '',
    s.description,
    '',
    `- **Target**: ${fmtTarget(s)}`,
    `- **Evaluation noise**: ${fmtNoise(s)}`,
    `- **Seeds**: ${s.seeds.length} paired (${s.seeds.join(', ')}); **max steps** ${s.maxSteps}; **evaluation every** ${s.evalEvery} steps`,
    ...(s.pairsChoice ? [`- **Pairs**: auto: ${s.pairsChoice.reason}`] : []),
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
    ...(s.tuning.length
      ? [
          '## Tuning',
          '',
          `Arms with a grid were tuned on ${s.tuningSeeds} tuning seeds (${s.tuning[0]?.seeds.join(', ')}), disjoint from the reported seeds, against ${s.tuningTarget ? `${s.tuningTarget.target.metric} ${s.tuningTarget.target.direction === 'max' ? '>=' : '<='} ${s.tuningTarget.target.value.toPrecision(5)} (${s.tuningTarget.source})` : 'the suite target'}. ` +
            (s.tuneBy === 'final'
              ? `The point with the best median final ${s.target.metric} (at the end of the budget) wins (ties: the lower median steps-to-target, then grid order); the reported seeds ran at it. Arms without a grid ran at fixed settings.`
              : 'The point with the lowest median steps-to-target wins (a run that misses counts as +∞; ties go to more runs reaching, then the better median best value, then grid order); the reported seeds ran at it. Arms without a grid ran at fixed settings.'),
          '',
          renderTuningMarkdown(s),
        ]
      : []),
    ...(s.budgetMatched.length
      ? [
          '## Budget-matched speed-ups',
          '',
          `Each budget is a complete run with its own schedule. Per seed pair, T* is the smallest budget at which the arm's final ${s.budgetMatched[0]?.metric} matches the baseline's final value at its budget, interpolated in log budget; the speed-up is T_baseline / T*. An arm whose smallest budget already matches gives a lower bound, one that never matches an upper bound.`,
          '',
          renderBudgetMatchedMarkdown(s),
          '',
        ]
      : []),
    ...(s.targetLevels.length
      ? [
          '## Steps-to-target at other targets',
          '',
          s.targetLevels.some((l) => l.gapScale < 1)
            ? "The suite's target moved along its distance from the baseline's median best: twice as loose, the suite's, half and a quarter of the distance (stricter). A speed-up that holds only at one target level is fragile."
            : "The suite's target moved along its distance from the baseline's median best: twice as loose and the suite's. Runs ended at the suite's target (stopAtTarget), so stricter levels were not measured.",
          '',
          renderTargetLevelsMarkdown(s),
          '',
        ]
      : []),
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
