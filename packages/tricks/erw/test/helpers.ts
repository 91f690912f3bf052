import type { TaskDefinition } from '@converge/core'
import { randomShapeTeacher, shapesDiffusion } from '@converge/tasks'

/** A tiny shapes-diffusion task: 16 tokens of width 8, 3 blocks, batch 4, a cheap evaluation. */
export const tinyTask = (): TaskDefinition =>
  shapesDiffusion({ width: 8, depth: 3, heads: 1, batchSize: 4, valSize: 12, sampleCount: 12, sampleSteps: 2, probeLayer: 1, learningRate: 1e-2 }) as unknown as TaskDefinition

/** A random-init teacher: cheap, no files; its tokens match the task's 16-token grid. */
export const teacher = () => randomShapeTeacher(3)
