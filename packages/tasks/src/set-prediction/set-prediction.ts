import * as tf from '@tensorflow/tfjs'
import { createRng, parseOptions, type Batch, type LossParts, type Match, type Metrics, type QuerySets, type TaskDefinition, type TaskInstance } from '@converge/core'
import { z } from 'zod'
import { detectionMetrics, type Detection } from './average-precision.js'
import { hungarianMatch } from './hungarian.js'
import { MiniDetr, type DetrOutput } from './mini-detr.js'
import { DEFAULT_SCENE_OPTIONS, drawScenes, SCENE_CLASSES, SCENE_SIZE, type SceneObject } from './scenes.js'
import { matchingCosts, setLoss } from './set-loss.js'

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

/** A training batch: images `[B, 32, 32, 1]` and each image's objects (class + cxcywh box). */
export interface SetPredictionBatch extends Batch {
  readonly images: tf.Tensor4D
  readonly objects: readonly (readonly SceneObject[])[]
}

export type SetPredictionOutput = DetrOutput

const CLASSES = SCENE_CLASSES.length

/** Per-image Hungarian matches of one decoder layer's predictions (costs read back synchronously). */
function matchLayer(out: DetrOutput, layer: number, objects: readonly (readonly SceneObject[])[]): Match[][] {
  const costs = tf.tidy(() => matchingCosts(out.layers[layer]!, objects, CLASSES))
  const n = out.layers[layer]!.logits.shape[1]
  const matches = costs.map((c, i) => hungarianMatch(c.dataSync(), n, objects[i]!.length))
  tf.dispose(costs)
  return matches
}

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
      const valImages = tf.tensor4d(val.images, [o.valSize, SCENE_SIZE, SCENE_SIZE, 1])

      const loss = (out: DetrOutput, objects: readonly (readonly SceneObject[])[], layer: number, matches: readonly (readonly Match[])[], normalizer: number) =>
        setLoss(out.layers[layer]!, objects, matches, normalizer, CLASSES)

      const evaluateWith = (queries: tf.Tensor2D = detr.queryEmbedding): Metrics => {
        const [logits, boxTensor] = tf.tidy(() => {
          const last = detr.forward(valImages, queries).layers.at(-1)!
          return [last.logits, last.boxes]
        }) as [tf.Tensor3D, tf.Tensor3D]
        const n = queries.shape[0]
        const probabilities = tf.sigmoid(logits)
        const scores = probabilities.dataSync()
        probabilities.dispose()
        const boxes = boxTensor.dataSync()
        const matches = matchLayer({ layers: [{ logits, boxes: boxTensor }] }, 0, val.objects)
        tf.dispose([logits, boxTensor])
        const detections: Detection[][] = []
        let l1 = 0
        let pairs = 0
        for (let i = 0; i < o.valSize; i++) {
          const all: Detection[] = []
          for (let q = 0; q < n; q++) {
            const at = (i * n + q) * 4
            const box = [boxes[at]!, boxes[at + 1]!, boxes[at + 2]!, boxes[at + 3]!] as const
            for (let c = 0; c < CLASSES; c++) all.push({ label: c, score: scores[(i * n + q) * CLASSES + c]!, box })
          }
          detections.push(all.sort((a, b) => b.score - a.score).slice(0, o.maxDetections))
          for (const m of matches[i]!) {
            const at = (i * n + m.query) * 4
            const truth = val.objects[i]![m.target]!.box
            for (let k = 0; k < 4; k++) l1 += Math.abs(boxes[at + k]! - truth[k]!)
            pairs++
          }
        }
        return { ...detectionMetrics(detections, val.objects, CLASSES), matchedL1: pairs ? l1 / (4 * pairs) : 0 }
      }

      const querySets: QuerySets = {
        queries: o.queries,
        layers: o.decoderLayers,
        embedding: detr.queryEmbedding,
        initQueries: (seed) => detr.initQueries(seed),
        forward: (batch, queries, options) => detr.forward((batch as SetPredictionBatch).images, queries, options?.selfAttention),
        costs: (out, layer, batch) => matchingCosts((out as DetrOutput).layers[layer]!, (batch as SetPredictionBatch).objects, CLASSES),
        loss: (out, layer, batch, matches, normalizer) => loss(out as DetrOutput, (batch as SetPredictionBatch).objects, layer, matches, normalizer),
        objectCounts: (batch) => (batch as SetPredictionBatch).objects.map((objs) => objs.length),
        evaluateWith: async (queries) => evaluateWith(queries),
      }

      return {
        variables: detr.variables,
        capabilities: { querySets },
        batch({ sources, rng }) {
          const { images, objects } = drawScenes(rng, o.batchSize)
          return { sources, images: tf.tensor4d(images, [o.batchSize, SCENE_SIZE, SCENE_SIZE, 1]), objects }
        },
        forward: (batch) => detr.forward(batch.images, detr.queryEmbedding),
        loss(out, batch): LossParts {
          // DETR: one set of queries, matched per decoder layer, normalised by the object count
          const normalizer = Math.max(1, batch.objects.reduce((a, objs) => a + objs.length, 0))
          const parts: LossParts = {}
          out.layers.forEach((_, l) => {
            for (const [k, v] of Object.entries(loss(out, batch.objects, l, matchLayer(out, l, batch.objects), normalizer))) parts[`${k}/${l}`] = v
          })
          return parts
        },
        evaluate: () => evaluateWith(),
        dispose() {
          detr.dispose()
          valImages.dispose()
        },
      }
    },
  }
}
