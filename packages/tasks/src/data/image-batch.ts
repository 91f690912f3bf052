import * as tf from '@tensorflow/tfjs'
import type { Rng } from '@converge/core'
import { augmentInPlace, type Augmentation } from './augment.js'
import { imageSize, type LabelledImages } from './labelled-images.js'

/** How stored pixels become model inputs: `x = pixel · scale + shift`. */
export interface PixelScale {
  /** Default 1/255: bytes to [0, 1]. Use `{ scale: 2 / 255, shift: -1 }` for [-1, 1]. */
  readonly scale?: number
  readonly shift?: number
}

export interface ImageBatchOptions extends PixelScale {
  /** Seeded augmentation (needs `rng`); none by default. Applied after scaling, so `fill` is on the model's scale. */
  readonly augment?: Augmentation
  /** The stream augmentations draw from (the batch request's `rng`). */
  readonly rng?: Rng
}

/** A batch of images as tensors the caller owns (a task returns them in its batch; the loop frees them). */
export interface ImageBatch {
  /** float32 [n, height, width, channels]. */
  readonly x: tf.Tensor4D
  /** float32 [n, classes]: one-hot labels. */
  readonly y: tf.Tensor2D
  /** The labels as integers (CPU copy, for metrics and logging). */
  readonly labels: Int32Array
}

/** One-hot float32 rows [n, classes] for integer labels. */
export function oneHot(labels: ArrayLike<number>, classes: number): tf.Tensor2D {
  const out = new Float32Array(labels.length * classes)
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number
    if (!(Number.isInteger(l) && l >= 0 && l < classes)) throw new RangeError(`oneHot: label ${i} is ${l}; labels must be integers in [0, ${classes})`)
    out[i * classes + l] = 1
  }
  return tf.tensor2d(out, [labels.length, classes])
}

/**
 * Gathers the images at `indices` into a scaled (and optionally augmented) float batch with
 * one-hot labels. The pixels are gathered and augmented in JS, so the batch is the same on every
 * backend for the same stream position.
 */
export function imageBatch(set: LabelledImages, indices: ArrayLike<number>, options: ImageBatchOptions = {}): ImageBatch {
  const scale = options.scale ?? 1 / 255
  const shift = options.shift ?? 0
  const per = imageSize(set)
  const n = indices.length
  const pixels = new Float32Array(n * per)
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const src = indices[i] as number
    if (!(Number.isInteger(src) && src >= 0 && src < set.count)) throw new RangeError(`imageBatch: index ${src} is outside [0, ${set.count})`)
    const from = src * per
    for (let k = 0; k < per; k++) pixels[i * per + k] = (set.images[from + k] as number) * scale + shift
    labels[i] = set.labels[src] as number
  }
  if (options.augment) {
    if (!options.rng) throw new TypeError('imageBatch: augment needs an rng (the batch request’s stream)')
    augmentInPlace(pixels, n, set.height, set.width, set.channels, options.augment, options.rng)
  }
  return {
    x: tf.tensor4d(pixels, [n, set.height, set.width, set.channels]),
    y: oneHot(labels, set.classes),
    labels,
  }
}

/** Every image of `set`, in order, unaugmented: a fixed evaluation batch (the caller disposes it). */
export function wholeSet(set: LabelledImages, options: PixelScale = {}): ImageBatch {
  return imageBatch(set, Int32Array.from({ length: set.count }, (_, i) => i), options)
}
