/**
 * Group DETR on procedural 32×32 scenes (1–6 squares, discs and pluses): a mini DETR trained with
 * K query groups (K = 1 is plain DETR). Prints AP50, AP 0.5:0.95 and the matched-box L1 of group 0
 * at every evaluation, with the training wall-clock so far, and at the end every group evaluated alone.
 *
 *   npx tsx examples/group-detr.ts [groups] [seed] [maxSteps] [separate: 1 | 0] [queries per group: 12]
 */
import { train, type Trick } from '@converge/core'
import { groupDetr } from '@converge/group-detr'
import { setPrediction } from '@converge/tasks'

const groups = Number(process.argv[2] ?? 3)
const seed = Number(process.argv[3] ?? 1)
const maxSteps = Number(process.argv[4] ?? 400)
const separateSelfAttention = (process.argv[5] ?? '1') !== '0'
const queries = Number(process.argv[6] ?? 12)

const trick = groupDetr({ groups, separateSelfAttention })
const started = Date.now()
const print: Trick = {
  name: 'print',
  evaluate: (ctx, m) =>
    void console.log(`K=${groups}${separateSelfAttention ? '' : ' (unseparated)'}${queries === 12 ? '' : ` Q=${queries}`} seed ${seed} step ${String(ctx.step).padStart(4)}  ap50 ${m.ap50!.toFixed(4)}  ap ${m.ap!.toFixed(4)}  matchedL1 ${m.matchedL1!.toFixed(4)}  wall ${((Date.now() - started) / 1000).toFixed(0)} s`),
  // every group alone, while the run's model is still alive
  end: async () => {
    for (let g = 0; g < groups; g++) console.log(`  group ${g} alone: ap50 ${(await trick.evaluateGroup(g)).ap50!.toFixed(4)}`)
  },
}
const result = await train({ task: setPrediction({ valSize: 128, learningRate: 1e-3, queries }), tricks: [trick, print], seed, maxSteps, evalEvery: 100 })
console.log(`trained ${result.steps} steps in ${(result.trainMs / 1000).toFixed(0)} s (${(result.trainMs / result.steps).toFixed(0)} ms/step)`)
