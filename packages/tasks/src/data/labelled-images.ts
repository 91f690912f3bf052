/**
 * A labelled image set held in memory: `count` images of `height × width × channels`, row-major,
 * channels last (the layout of tfjs's NHWC tensors), and one integer label per image.
 * Pixels are either raw bytes (0..255, as image files store them) or floats.
 */
export interface LabelledImages {
  readonly images: Uint8Array | Float32Array
  readonly labels: Uint8Array | Int32Array
  readonly count: number
  readonly height: number
  readonly width: number
  readonly channels: number
  /** Number of classes; labels lie in [0, classes). */
  readonly classes: number
}

/** Values per image. */
export function imageSize(set: Pick<LabelledImages, 'height' | 'width' | 'channels'>): number {
  return set.height * set.width * set.channels
}

/** Throws when the arrays do not match the declared shape or a label is out of range. */
export function checkLabelledImages(set: LabelledImages, what: string): LabelledImages {
  const per = imageSize(set)
  if (!(set.count >= 0 && Number.isInteger(set.count))) throw new RangeError(`${what}: count must be a non-negative integer, got ${set.count}`)
  if (set.images.length !== set.count * per) {
    throw new RangeError(`${what}: images has ${set.images.length} values; ${set.count} images of ${set.height}×${set.width}×${set.channels} need ${set.count * per}`)
  }
  if (set.labels.length !== set.count) throw new RangeError(`${what}: labels has ${set.labels.length} entries for ${set.count} images`)
  for (let i = 0; i < set.count; i++) {
    const l = set.labels[i] as number
    if (!(Number.isInteger(l) && l >= 0 && l < set.classes)) throw new RangeError(`${what}: label ${i} is ${l}; labels must be integers in [0, ${set.classes})`)
  }
  return set
}
