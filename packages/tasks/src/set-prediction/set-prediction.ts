import * as tf from '@tensorflow/tfjs'
import { createRng, parseOptions, type TaskDefinition, type TaskInstance } from '@converge/core'
import { z } from 'zod'
import { detrInstance, type SetPredictionBatch } from './detr-instance.js'
import { MiniDetr, type DetrOutput } from './mini-detr.js'
import { DEFAULT_SCENE_OPTIONS, drawScenes, SCENE_CLASSES, SCENE_SIZE } from './scenes.js'

export const setPredictionOptionsSchema = z
  .object({
    width: z.number().int().positive().default(32),
    heads: z.number().int().positive().default(2),
    encoderLayers: z.number().int().min(1).default(1),
    decoderLayers: z.number().int().min(1).default(3),
    /** Object queries (Q): at least the most objects a scene holds (6). */
    queries: z.number().int().min(DEFAULT_SCENE_OPTIONS.maxObjects).default(12),
    ffnRatio: z.number().int().positive().default(2),
    batchSize: z.number().int().positive().default(16),
    learningRate: z.number().positive().default(1e-3),
    /** Fixed validation scenes (the same for every run seed). */
    valSize: z.number().int().min(1).default(256),
    /** Detections kept per image at evaluation (COCO's maxDets), highest scores over queries × classes. */
    maxDetections: z.number().int().positive().default(100),
    /** Seed of the validation scenes. */
    dataSeed: z.number().int().min(0).default(1),
    /** The task's own target: AP50 at least this. */
    targetAp50: z.number().min(0).max(1).default(0.5),
  })
  .strict()
  .refine((o) => o.width % o.heads === 0 && o.width % 4 === 0, { message: 'width must be a multiple of 4 and of heads', path: ['width'] })

export type SetPredictionOptions = z.input<typeof setPredictionOptionsSchema>

export type { SetPredictionBatch } from './detr-instance.js'

export type SetPredictionOutput = DetrOutput

const CLASSES = SCENE_CLASSES.length

/**
 * Set prediction (object detection) on procedural 32×32 scenes of 1–6 objects of 3 classes
 * (square, disc, plus; side 4–12 px; pairwise IoU ≤ 0.3): a mini DETR trained with Hungarian
 * matching and the focal / L1 / GIoU set loss on every decoder layer (auxiliary losses),
 * normalised by the batch's object count. Evaluation on a fixed validation set: COCO-style AP50 and
 * AP at IoU 0.5:0.95 (101-point interpolation, top `maxDetections` per image) and the mean L1 per
 * coordinate of the last layer's Hungarian-matched boxes. Provides the `querySets` capability.
 */
export function setPrediction(options: SetPredictionOptions = {}): TaskDefinition<SetPredictionBatch, SetPredictionOutput> {
  const o = parseOptions(setPredictionOptionsSchema, options, 'setPrediction options')
  return {
    name: 'set-prediction',
    options: { ...o },
    target: { metric: 'ap50', direction: 'max', value: o.targetAp50 },
    optimizer: { name: 'adam', learningRate: o.learningRate },
    create(init): TaskInstance<SetPredictionBatch, SetPredictionOutput> {
      const detr = new MiniDetr(
        { imageSize: SCENE_SIZE, width: o.width, heads: o.heads, encoderLayers: o.encoderLayers, decoderLayers: o.decoderLayers, queries: o.queries, classes: CLASSES, ffnRatio: o.ffnRatio },
        init.streams.stream('init'),
        init.variableName,
      )
      const val = drawScenes(createRng(`set-prediction:val:${o.dataSeed}`), o.valSize)
      return detrInstance({
        detr,
        classes: CLASSES,
        valImages: tf.tensor4d(val.images, [o.valSize, SCENE_SIZE, SCENE_SIZE, 1]),
        valObjects: val.objects,
        maxDetections: o.maxDetections,
        draw: (rng) => drawScenes(rng, o.batchSize),
        batchSize: o.batchSize,
        imageSize: SCENE_SIZE,
      })
    },
  }
}
