import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { createRng, loadWeights, parseOptions, type TaskDefinition, type TaskInstance } from '@converge/core'
import { z } from 'zod'
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../data/fashion-mnist.js'
import { detrInstance, type SetPredictionBatch } from '../set-prediction/detr-instance.js'
import { MiniDetr, type DetrOutput } from '../set-prediction/mini-detr.js'
import { drawFashionScenes, type FashionSceneOptions } from './fashion-scenes.js'

export const fashionDetectionOptionsSchema = z
  .object({
    /** Folder of the Fashion-MNIST files (default: $CONVERGE_FASHION_MNIST_DIR, else Debian's folder). */
    dir: z.string().min(1).optional(),
    /** Canvas side in pixels; a multiple of 8 (the stem's stride). */
    size: z.number().int().min(16).default(64),
    minObjects: z.number().int().min(1).default(1),
    maxObjects: z.number().int().min(1).default(4),
    /** Side in canvas pixels a 28×28 item is resized to, uniform in [minSide, maxSide]. */
    minSide: z.number().int().min(4).default(14),
    maxSide: z.number().int().min(4).default(28),
    /** Largest IoU between two items' boxes in a canvas. */
    maxIou: z.number().min(0).max(1).default(0.2),
    width: z.number().int().positive().default(32),
    heads: z.number().int().positive().default(2),
    encoderLayers: z.number().int().min(1).default(1),
    decoderLayers: z.number().int().min(1).default(3),
    /** Object queries (Q): at least maxObjects. */
    queries: z.number().int().positive().default(12),
    ffnRatio: z.number().int().positive().default(2),
    batchSize: z.number().int().positive().default(16),
    learningRate: z.number().positive().default(1e-3),
    /** Fixed validation canvases, built from the test split (the same for every run seed). */
    valSize: z.number().int().min(1).default(256),
    /** Detections kept per image at evaluation (COCO's maxDets). */
    maxDetections: z.number().int().positive().default(100),
    /** Seed of the validation canvases. */
    dataSeed: z.number().int().min(0).default(1),
    /** The task's own target: AP50 at least this. */
    targetAp50: z.number().min(0).max(1).default(0.5),
    /**
     * Folder of exported stem + encoder weights (`exportWeights`: weights.json + weights.bin, names
     * `stem/conv1`, `enc0/self/wq`, ...): loaded into the model and kept frozen (not trainable), while
     * the decoder, heads and queries are drawn from the run's seed. `FASHION_DETECTION_ENCODER_DIR` is
     * the committed one (width 32, 1 encoder layer, 64×64 canvases).
     */
    pretrainedEncoder: z
      .string()
      .min(1)
      .refine((dir) => existsSync(join(dir, 'weights.json')), { message: 'pretrainedEncoder must be a folder holding weights.json (written by exportWeights)' })
      .optional(),
  })
  .strict()
  .refine((o) => o.size % 8 === 0, { message: 'size must be a multiple of 8 (three stride-2 stem convolutions)', path: ['size'] })
  .refine((o) => o.maxObjects >= o.minObjects, { message: 'maxObjects must be at least minObjects', path: ['maxObjects'] })
  .refine((o) => o.maxSide >= o.minSide && o.maxSide <= o.size, { message: 'maxSide must be in [minSide, size]', path: ['maxSide'] })
  .refine((o) => o.queries >= o.maxObjects, { message: 'queries must be at least maxObjects (one query per object)', path: ['queries'] })
  .refine((o) => o.width % o.heads === 0 && o.width % 4 === 0, { message: 'width must be a multiple of 4 and of heads', path: ['width'] })

export type FashionDetectionOptions = z.input<typeof fashionDetectionOptionsSchema>
export type FashionDetectionOutput = DetrOutput

const CLASSES = FASHION_MNIST_CLASSES.length

/**
 * The committed pretrained stem + encoder for the default shape (width 32, 2 heads, 1 encoder
 * layer, 64×64 canvases), written by `packages/tasks/scripts/pretrain-detection-encoder.ts`.
 */
export const FASHION_DETECTION_ENCODER_DIR = fileURLToPath(new URL('./nets/detection-encoder/', import.meta.url))

/** The pretrained encoder's tensors, with the folder named in any error; the caller frees them. */
function loadEncoder(dir: string): tf.NamedTensorMap {
  try {
    return loadWeights(dir)
  } catch (e) {
    throw new Error(`fashionDetection pretrainedEncoder ${dir}: ${(e as Error).message}`)
  }
}

/**
 * Object detection on canvases of real Fashion-MNIST items (Zalando Research, MIT licence): each
 * `size`×`size` canvas holds `minObjects..maxObjects` items, resized to a seeded side in
 * [`minSide`, `maxSide`] and placed at seeded positions (boxes overlap by IoU ≤ `maxIou`), with the
 * items' tight boxes and their 10 classes as targets. Training canvases draw items from the
 * 60,000-image train split; the fixed validation canvases draw from the 10,000-image test split.
 * The model is the mini DETR of `setPrediction` with a three-conv stem ((size/8)² tokens), trained
 * with Hungarian matching and the focal / L1 / GIoU set loss on every decoder layer; evaluation:
 * COCO AP (IoU 0.5:0.95) and AP50 by the 101-point evaluator, and the matched-box L1. Provides the
 * `querySets` capability (Group DETR). With `pretrainedEncoder`, the stem and encoder come from a
 * folder of exported weights and stay frozen, so only the decoder, heads and queries train.
 */
export function fashionDetection(options: FashionDetectionOptions = {}): TaskDefinition<SetPredictionBatch, FashionDetectionOutput> {
  const o = parseOptions(fashionDetectionOptionsSchema, options, 'fashionDetection options')
  const scenes: FashionSceneOptions = { size: o.size, minObjects: o.minObjects, maxObjects: o.maxObjects, minSide: o.minSide, maxSide: o.maxSide, maxIou: o.maxIou }
  return {
    name: 'fashion-detection',
    options: { ...o },
    target: { metric: 'ap50', direction: 'max', value: o.targetAp50 },
    optimizer: { name: 'adam', learningRate: o.learningRate },
    create(init): TaskInstance<SetPredictionBatch, FashionDetectionOutput> {
      const data = loadFashionMnist(o.dir !== undefined ? { dir: o.dir } : {})
      const encoder = o.pretrainedEncoder !== undefined ? loadEncoder(o.pretrainedEncoder) : undefined
      let detr: MiniDetr
      try {
        detr = new MiniDetr(
          {
            imageSize: o.size,
            width: o.width,
            heads: o.heads,
            encoderLayers: o.encoderLayers,
            decoderLayers: o.decoderLayers,
            queries: o.queries,
            classes: CLASSES,
            ffnRatio: o.ffnRatio,
            stemConvs: 3,
          },
          init.streams.stream('init'),
          init.variableName,
          encoder,
        )
      } catch (e) {
        throw o.pretrainedEncoder !== undefined ? new Error(`fashionDetection pretrainedEncoder ${o.pretrainedEncoder}: ${(e as Error).message}`) : e
      } finally {
        if (encoder) tf.dispose(Object.values(encoder))
      }
      const val = drawFashionScenes(createRng(`fashion-detection:val:${o.dataSeed}`), data.test, o.valSize, scenes)
      return detrInstance({
        detr,
        classes: CLASSES,
        valImages: tf.tensor4d(val.images, [o.valSize, o.size, o.size, 1]),
        valObjects: val.objects,
        maxDetections: o.maxDetections,
        draw: (rng) => drawFashionScenes(rng, data.train, o.batchSize, scenes),
        batchSize: o.batchSize,
        imageSize: o.size,
      })
    },
  }
}
