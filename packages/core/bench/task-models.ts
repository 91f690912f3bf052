/**
 * Bench models taken from the tasks package (a bench-only import: core's library code never
 * imports tasks): the task with its default options, stepped as train() steps it minus hooks
 * (its batch, forward and summed loss parts, the optimizer createOptimizer builds for it), the
 * loss read back every step. torch-parity.ts compares them with their PyTorch twins.
 */
import * as tf from '@tensorflow/tfjs'
import { charLmTransformer, setPrediction, shapesDiffusion } from '@converge/tasks'
import { createOptimizer, SeedStreams, silentLogger, type TaskDefinition } from '../src/index.js'
import type { ModelSpec } from './backend-models.js'

function taskModel(name: string, description: string, define: () => TaskDefinition<never, never>): ModelSpec {
  return {
    name,
    description,
    async create(seed, id) {
      const task = define()
      const streams = new SeedStreams(seed)
      const inst = await task.create({ seed, streams, log: silentLogger, variableName: (n) => `${id}/${n}` })
      const opt = createOptimizer(task.optimizer)
      const data = streams.stream('data')
      let step = 0
      return {
        async step() {
          const batch = await inst.batch({ step: step++, sources: ['train'], rng: data, stream: 'main' })
          const loss = opt.minimize(
            () => tf.addN(Object.values(inst.loss(inst.forward(batch, null as never), batch, null as never)) as tf.Tensor[]) as tf.Scalar,
            true,
            inst.variables as tf.Variable[],
          )!
          const value = (await loss.data())[0] as number
          tf.dispose([loss, ...Object.values(batch as object).filter((v): v is tf.Tensor => v instanceof tf.Tensor)])
          return value
        },
        dispose() {
          opt.dispose()
          inst.dispose()
        },
      }
    },
  }
}

/** shapesDiffusion()'s SiT denoiser: 16×16 images in 4×4 patches (16 tokens), width 32, 4 adaLN-Zero blocks, 2 heads, MLP 64, batch 32, v-prediction MSE, Adam 1e-3. */
export const sit = taskModel(
  'sit',
  'SiT denoiser (shapesDiffusion defaults): 16x16x1, patch 4, width 32, depth 4, 2 heads, MLP 64, batch 32, Adam 1e-3',
  () => shapesDiffusion() as never,
)

/** charLmTransformer()'s decoder: vocab 32, context 32, d_model 64, 4 heads, 2 layers (RMSNorm, SwiGLU 176), batch 16, Adam 3e-3. */
export const charTransformer = taskModel(
  'char-transformer',
  'char transformer (charLmTransformer defaults): vocab 32, context 32, d_model 64, 4 heads, 2 layers, RMSNorm, SwiGLU 176, batch 16, Adam 3e-3',
  () => charLmTransformer() as never,
)

/** setPrediction()'s mini-DETR with 132 queries (the query count of Group DETR's K = 11 arm): batch 16, width 32, 2 heads, Adam; no PyTorch twin. */
export const detr = taskModel(
  'detr',
  'mini-DETR (setPrediction defaults, 132 queries as in Group DETR K = 11): batch 16, width 32, 2 heads, Hungarian matching, focal + L1 + GIoU losses, Adam',
  () => setPrediction({ queries: 132 }) as never,
)

export const TASK_MODELS: Record<string, ModelSpec> = { sit, 'char-transformer': charTransformer, detr }
