import { createRng } from '@converge/core'
import { imageSize, type LabelledImages } from './labelled-images.js'

/** How many examples a split gets: a count (an integer ≥ 1) or a fraction of the whole (in (0, 1)). */
export type SplitSize = number

export interface SplitOptions {
  /** Examples held out for validation. */
  readonly validation: SplitSize
  /** Examples held out for testing (default none). */
  readonly test?: SplitSize
  /**
   * Seed of the split. Fixed across run seeds on purpose: every run of a bench suite validates on
   * the same examples, whatever its run seed.
   */
  readonly seed: number
}

export interface SplitIndices {
  readonly train: Int32Array
  readonly validation: Int32Array
  readonly test: Int32Array
}

function countOf(size: SplitSize, total: number, field: string): number {
  if (size > 0 && size < 1) return Math.round(size * total)
  if (Number.isInteger(size) && size >= 0) return size
  throw new RangeError(`split: ${field} must be a count (integer ≥ 0) or a fraction in (0, 1), got ${size}`)
}

/**
 * Splits `0..total-1` into disjoint train / validation / test index sets by one seeded shuffle;
 * each set is sorted. Same `total` and seed, same split.
 */
export function splitIndices(total: number, options: SplitOptions): SplitIndices {
  const nVal = countOf(options.validation, total, 'validation')
  const nTest = countOf(options.test ?? 0, total, 'test')
  if (nVal + nTest >= total) throw new RangeError(`split: validation (${nVal}) + test (${nTest}) leave no training examples out of ${total}`)
  const rng = createRng(`converge:split:${options.seed}`)
  const order = rng.shuffle(Array.from({ length: total }, (_, i) => i))
  const sorted = (a: number[]): Int32Array => Int32Array.from(a).sort()
  return {
    validation: sorted(order.slice(0, nVal)),
    test: sorted(order.slice(nVal, nVal + nTest)),
    train: sorted(order.slice(nVal + nTest)),
  }
}

/** The images at `indices`, copied into a new set (same pixel type). */
export function subset(set: LabelledImages, indices: ArrayLike<number>): LabelledImages {
  const per = imageSize(set)
  const images = set.images instanceof Uint8Array ? new Uint8Array(indices.length * per) : new Float32Array(indices.length * per)
  const labels = set.labels instanceof Uint8Array ? new Uint8Array(indices.length) : new Int32Array(indices.length)
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] as number
    if (!(Number.isInteger(src) && src >= 0 && src < set.count)) throw new RangeError(`subset: index ${src} is outside [0, ${set.count})`)
    images.set(set.images.subarray(src * per, (src + 1) * per), i * per)
    labels[i] = set.labels[src] as number
  }
  return { ...set, images, labels, count: indices.length }
}

/** Splits a labelled image set into train / validation / test subsets (see `splitIndices`). */
export function splitImages(set: LabelledImages, options: SplitOptions): { train: LabelledImages; validation: LabelledImages; test: LabelledImages } {
  const idx = splitIndices(set.count, options)
  return { train: subset(set, idx.train), validation: subset(set, idx.validation), test: subset(set, idx.test) }
}
