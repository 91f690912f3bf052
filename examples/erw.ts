/**
 * ERW on class-conditional 16×16 shapes: a small SiT trained with the plain diffusion loss, then
 * with ERW (a warm-up that aligns block 1 with a frozen ViT teacher's patch tokens on clean inputs,
 * then a decaying alignment term at block 2). Prints the evaluation history of both runs (Fréchet
 * distance of samples in evaluator features, their conditional accuracy, validation v-loss, a linear
 * probe of block 2) and the phases of the ERW run, warm-up steps included in the step count.
 *
 *   npx tsx examples/erw.ts [seed] [maxSteps]
 */
import { costWeightedSteps, train } from '@converge/core'
import { erw } from '@converge/erw'
import { loadShapeTeacher, shapesDiffusion } from '@converge/tasks'

const seed = Number(process.argv[2] ?? 1)
const maxSteps = Number(process.argv[3] ?? 600)
const task = shapesDiffusion({ width: 32, depth: 4, batchSize: 32, learningRate: 2e-3 })
const settings = { task, seed, maxSteps, evalEvery: 100 } as const

const show = (label: string, r: Awaited<ReturnType<typeof train>>) => {
  console.log(`${label}:`)
  for (const h of r.history) {
    const m = h.metrics
    console.log(`  step ${String(h.step).padStart(5)}  fd ${m.fd!.toFixed(1).padStart(7)}  sampleAcc ${m.sampleAcc!.toFixed(2)}  vloss ${m.vloss!.toFixed(3)}  probe(block 2) ${m.probeAcc!.toFixed(2)}`)
  }
}

const baseline = await train({ ...settings, tricks: [] })
show('baseline (diffusion loss only)', baseline)

const trick = erw({ teacher: () => loadShapeTeacher(), warmupSteps: { fraction: 0.15 }, warmupDepth: 1, alignDepth: 2, halfLife: { fraction: 0.25 } })
const withErw = await train({ ...settings, tricks: [trick] })
show('ERW', withErw)
for (const p of withErw.phases) console.log(`  phase ${p.name}: steps ${p.startStep + 1}…${p.endStep}, cost ${p.cost.toFixed(2)} of a main step`)
console.log(`  ${withErw.steps} steps = ${costWeightedSteps(withErw.phases, withErw.steps).toFixed(0)} cost-weighted main-step equivalents`)
