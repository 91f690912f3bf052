import * as tf from '@tensorflow/tfjs'
import type { Batch, LossParts, Match, Metrics, QuerySets, Rng, TaskInstance } from '@converge/core'
import { detectionMetrics, type Detection } from './average-precision.js'
import { hungarianMatch } from './hungarian.js'
import type { DetrOutput, MiniDetr } from './mini-detr.js'
import type { SceneObject } from './scenes.js'
import { matchingCosts, setLoss } from './set-loss.js'

/** A training batch: images `[B, size, size, 1]` and each image's objects (class + cxcywh box). */
export interface SetPredictionBatch extends Batch {
  readonly images: tf.Tensor4D
  readonly objects: readonly (readonly SceneObject[])[]
}

/** What a detection task gives the shared DETR instance: its model, data and evaluation settings. */
export interface DetrInstanceSpec {
  readonly detr: MiniDetr
  readonly classes: number
  /** Fixed validation images `[n, size, size, 1]` (the instance owns and frees them) and their objects. */
  readonly valImages: tf.Tensor4D
  readonly valObjects: readonly (readonly SceneObject[])[]
  /** Detections kept per image at evaluation (COCO's maxDets), highest scores over queries × classes. */
  readonly maxDetections: number
  /** Draws a training batch's pixels (`[B, size, size, 1]` flattened) and objects from `rng`. */
  readonly draw: (rng: Rng) => { images: Float32Array; objects: SceneObject[][] }
  readonly batchSize: number
  readonly imageSize: number
}

/**
 * A DETR task instance over any scene source: Hungarian matching and the focal / L1 / GIoU set loss
 * on every decoder layer (auxiliary losses) normalised by the batch's object count; evaluation on
 * the fixed validation set: COCO-style AP50 and AP at IoU 0.5:0.95 (101-point interpolation, top
 * `maxDetections` per image) and the mean L1 per coordinate of the last layer's Hungarian-matched
 * boxes. Provides the `querySets` capability.
 */
export function detrInstance(spec: DetrInstanceSpec): TaskInstance<SetPredictionBatch, DetrOutput> {
  const { detr, classes, valImages, valObjects } = spec
  const valSize = valImages.shape[0]

  /** Per-image Hungarian matches of one decoder layer's predictions (costs read back synchronously). */
  const matchLayer = (out: DetrOutput, layer: number, objects: readonly (readonly SceneObject[])[]): Match[][] => {
    const costs = tf.tidy(() => matchingCosts(out.layers[layer]!, objects, classes))
    const n = out.layers[layer]!.logits.shape[1]
    const matches = costs.map((c, i) => hungarianMatch(c.dataSync(), n, objects[i]!.length))
    tf.dispose(costs)
    return matches
  }
  const loss = (out: DetrOutput, objects: readonly (readonly SceneObject[])[], layer: number, matches: readonly (readonly Match[])[], normalizer: number) =>
    setLoss(out.layers[layer]!, objects, matches, normalizer, classes)

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
    const matches = matchLayer({ layers: [{ logits, boxes: boxTensor }] }, 0, valObjects)
    tf.dispose([logits, boxTensor])
    const detections: Detection[][] = []
    let l1 = 0
    let pairs = 0
    for (let i = 0; i < valSize; i++) {
      const all: Detection[] = []
      for (let q = 0; q < n; q++) {
        const at = (i * n + q) * 4
        const box = [boxes[at]!, boxes[at + 1]!, boxes[at + 2]!, boxes[at + 3]!] as const
        for (let c = 0; c < classes; c++) all.push({ label: c, score: scores[(i * n + q) * classes + c]!, box })
      }
      detections.push(all.sort((a, b) => b.score - a.score).slice(0, spec.maxDetections))
      for (const m of matches[i]!) {
        const at = (i * n + m.query) * 4
        const truth = valObjects[i]![m.target]!.box
        for (let k = 0; k < 4; k++) l1 += Math.abs(boxes[at + k]! - truth[k]!)
        pairs++
      }
    }
    return { ...detectionMetrics(detections, valObjects, classes), matchedL1: pairs ? l1 / (4 * pairs) : 0 }
  }

  const querySets: QuerySets = {
    queries: detr.config.queries,
    layers: detr.config.decoderLayers,
    embedding: detr.queryEmbedding,
    initQueries: (seed) => detr.initQueries(seed),
    forward: (batch, queries, options) => detr.forward((batch as SetPredictionBatch).images, queries, options?.selfAttention),
    costs: (out, layer, batch) => matchingCosts((out as DetrOutput).layers[layer]!, (batch as SetPredictionBatch).objects, classes),
    loss: (out, layer, batch, matches, normalizer) => loss(out as DetrOutput, (batch as SetPredictionBatch).objects, layer, matches, normalizer),
    objectCounts: (batch) => (batch as SetPredictionBatch).objects.map((objs) => objs.length),
    evaluateWith: async (queries) => evaluateWith(queries),
  }

  return {
    variables: detr.variables,
    capabilities: { querySets },
    batch({ sources, rng }) {
      const { images, objects } = spec.draw(rng)
      return { sources, images: tf.tensor4d(images, [spec.batchSize, spec.imageSize, spec.imageSize, 1]), objects }
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
}
