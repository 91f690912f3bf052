/**
 * Training time per step of the ERW suite's full-size model on one backend: the baseline arm and
 * the ERW arm (warm-up and main phase separately), evaluation excluded (its cost per evaluation is
 * printed apart). Medians of the step-to-step times after the first `skip` steps of each phase, as
 * wall time and as this process's CPU time (user + system): on a machine shared with other jobs
 * the CPU time is the steadier figure, since waiting for a core does not count in it.
 *
 *   npx tsx packages/tricks/erw/bench/step-time.ts [steps=60] [arms=A,D] [backend=wasm]
 */
import { train, type StepReport } from '@converge/core'
import { loadShapeTeacher, shapesDiffusion } from '@converge/tasks'
import { erw } from '../src/erw.js'
import { ERW_SCHEDULE, ERW_TASK_OPTIONS } from '../src/bench-suite.js'

const steps = Number(process.argv[2] ?? 60)
const arms = (process.argv[3] ?? 'A,D').split(',')
const backend = (process.argv[4] ?? 'wasm') as 'wasm' | 'cpu'
const skip = 3

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

for (const arm of arms) {
  const tricks =
    arm === 'A'
      ? []
      : [
          erw({
            teacher: () => loadShapeTeacher(),
            warmupSteps: { fraction: ERW_SCHEDULE.warmupFraction },
            warmupDepth: ERW_SCHEDULE.warmupDepth,
            alignDepth: ERW_SCHEDULE.alignDepth,
            c0: ERW_SCHEDULE.c0,
            halfLife: { fraction: ERW_SCHEDULE.halfLifeFraction },
          }),
        ]
  const times = new Map<string, number[]>()
  const cpuTimes = new Map<string, number[]>()
  let last: { at: number; cpu: number; phase: string } | null = null
  const seen = new Map<string, number>()
  const result = await train({
    task: shapesDiffusion(ERW_TASK_OPTIONS.full),
    seed: 1,
    maxSteps: steps,
    evalEvery: steps,
    backend,
    tricks,
    onStep: (r: StepReport) => {
      const at = performance.now()
      const usage = process.cpuUsage()
      const cpu = (usage.user + usage.system) / 1000
      const n = (seen.get(r.phase.name) ?? 0) + 1
      seen.set(r.phase.name, n)
      if (last && last.phase === r.phase.name && n > skip) {
        const list = times.get(r.phase.name) ?? []
        list.push(at - last.at)
        times.set(r.phase.name, list)
        cpuTimes.set(r.phase.name, [...(cpuTimes.get(r.phase.name) ?? []), cpu - last.cpu])
      }
      last = { at, cpu, phase: r.phase.name }
    },
  })
  const evals = result.history.length
  const phases = [...times].map(([name, t]) => `${name} ${median(t).toFixed(1)} ms/step wall, ${median(cpuTimes.get(name)!).toFixed(1)} cpu (n ${t.length})`).join(', ')
  console.log(`${arm}: ${phases}; trainMs/step ${(result.trainMs / result.steps).toFixed(1)}; eval ${(result.evalMs / evals).toFixed(0)} ms each (${evals}); losses[0..2] ${result.losses.slice(0, 3).map((x) => x.toPrecision(8)).join(' ')}; last ${result.losses.at(-1)!.toPrecision(8)}`)
}
