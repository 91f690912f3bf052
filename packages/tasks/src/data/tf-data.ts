import * as tf from '@tensorflow/tfjs'
import { checkLabelledImages, imageSize, type LabelledImages } from './labelled-images.js'
import type { PixelScale } from './image-batch.js'

/** One element of an image classification `tf.data.Dataset`: `{ xs, ys }` or `[xs, ys]`. */
export type TfImageElement = { xs: tf.Tensor; ys: tf.Tensor } | [tf.Tensor, tf.Tensor]

/**
 * Reads a `tf.data.Dataset` of labelled images into memory, so a task can shuffle it with the
 * run's streams, split it by seed and checkpoint its order (a tf.data pipeline's own shuffle is
 * neither seeded by the run nor resumable). Elements are `{ xs, ys }` or `[xs, ys]`, one image
 * each (`xs` [h, w] or [h, w, c]) or already batched (`xs` [n, h, w, c]); labels as integers or
 * one-hot rows. Pixels are kept as given (float), so batch them with `{ scale: 1 }`. Every element's
 * tensors are disposed once read.
 */
export async function fromTfDataset(dataset: tf.data.Dataset<TfImageElement> | tf.data.Dataset<tf.TensorContainer>, options: { readonly classes: number }): Promise<LabelledImages> {
  const { classes } = options
  if (!(Number.isInteger(classes) && classes >= 2)) throw new RangeError(`fromTfDataset: classes must be an integer ≥ 2, got ${classes}`)
  const chunks: Float32Array[] = []
  const labels: number[] = []
  let shape: [number, number, number] | null = null
  const it = await dataset.iterator()
  for (let e = 0; ; e++) {
    const r = await it.next()
    if (r.done) break
    const el = r.value as unknown
    const [xs, ys] = (Array.isArray(el) ? el : el && typeof el === 'object' ? [(el as { xs?: unknown }).xs, (el as { ys?: unknown }).ys] : []) as [tf.Tensor?, tf.Tensor?]
    try {
      if (!isTensor(xs) || !isTensor(ys)) throw new TypeError(`fromTfDataset: element ${e} must be { xs, ys } or [xs, ys]`)
      const batched = xs.rank === 4
      const [h, w, c] = (batched ? xs.shape.slice(1) : xs.rank === 3 ? xs.shape : xs.rank === 2 ? [...xs.shape, 1] : []) as number[]
      if (h === undefined || w === undefined || c === undefined) throw new RangeError(`fromTfDataset: element ${e}: xs must be [h, w], [h, w, c] or [n, h, w, c], got [${xs.shape.join(', ')}]`)
      if (!shape) shape = [h, w, c]
      else if (shape.join() !== [h, w, c].join()) throw new RangeError(`fromTfDataset: element ${e} has images of ${h}×${w}×${c}, earlier ones ${shape.join('×')}`)
      const n = batched ? (xs.shape[0] as number) : 1
      // Labels: integers ([] or [n]) or one-hot rows ([classes] or [n, classes]).
      const oneHotRows = ys.rank === (batched ? 2 : 1)
      const y = ys.dataSync()
      const got = oneHotRows ? y.length / classes : y.length
      if (got !== n || (oneHotRows && ys.shape[ys.rank - 1] !== classes)) throw new RangeError(`fromTfDataset: element ${e}: ys [${ys.shape.join(', ')}] does not hold ${n} label(s) of ${classes} classes`)
      for (let i = 0; i < n; i++) labels.push(oneHotRows ? argMax(y, i * classes, classes) : (y[i] as number))
      chunks.push(Float32Array.from(xs.dataSync()))
    } finally {
      tf.dispose([xs, ys])
    }
  }
  if (!shape) throw new RangeError('fromTfDataset: the dataset has no elements')
  const [height, width, channels] = shape
  const images = new Float32Array(labels.length * height * width * channels)
  let offset = 0
  for (const chunk of chunks) {
    images.set(chunk, offset)
    offset += chunk.length
  }
  return checkLabelledImages({ images, labels: Int32Array.from(labels), count: labels.length, height, width, channels, classes }, 'fromTfDataset')
}

/** Duck-typed, so tensors from another copy of tfjs in the user's project count too. */
function isTensor(v: unknown): v is tf.Tensor {
  return !!v && typeof (v as tf.Tensor).dataSync === 'function' && Array.isArray((v as tf.Tensor).shape)
}

function argMax(values: ArrayLike<number>, from: number, n: number): number {
  let best = 0
  for (let k = 1; k < n; k++) if ((values[from + k] as number) > (values[from + best] as number)) best = k
  return best
}

/**
 * A `tf.data.Dataset` of `{ xs: [h, w, c], ys: one-hot [classes] }`, one element per image in
 * order, scaled as `imageBatch` scales (for users who train with tf.data or `model.fitDataset`).
 */
export function toTfDataset(set: LabelledImages, options: PixelScale = {}): tf.data.Dataset<{ xs: tf.Tensor3D; ys: tf.Tensor1D }> {
  const scale = options.scale ?? 1 / 255
  const shift = options.shift ?? 0
  const per = imageSize(set)
  return tf.data.generator(function* () {
    for (let i = 0; i < set.count; i++) {
      const px = new Float32Array(per)
      for (let k = 0; k < per; k++) px[k] = (set.images[i * per + k] as number) * scale + shift
      const y = new Float32Array(set.classes)
      y[set.labels[i] as number] = 1
      yield { xs: tf.tensor3d(px, [set.height, set.width, set.channels]), ys: tf.tensor1d(y) }
    }
  })
}
