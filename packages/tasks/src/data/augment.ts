import type { Rng } from '@converge/core'

/** Seeded augmentations applied to a batch on the CPU before it becomes a tensor. */
export interface Augmentation {
  /** Random crop after padding by this many pixels on each side (a random shift in [-p, p]², background filled). */
  readonly cropPadding?: number
  /** Flip each image left–right with probability 1/2. */
  readonly flip?: boolean
  /** Value that fills the pixels a shift uncovers (on the batch's pixel scale; default 0). */
  readonly fill?: number
}

/**
 * Augments `count` images of `height × width × channels` in `images`, in place, drawing from `rng`
 * in a fixed order (per image: the crop offsets, then the flip), so the same stream position gives
 * the same augmented batch on every backend.
 */
export function augmentInPlace(images: Float32Array, count: number, height: number, width: number, channels: number, aug: Augmentation, rng: Rng): void {
  const p = aug.cropPadding ?? 0
  if (!(Number.isInteger(p) && p >= 0)) throw new RangeError(`augmentation: cropPadding must be an integer ≥ 0, got ${p}`)
  if (p === 0 && !aug.flip) return
  const fill = aug.fill ?? 0
  const per = height * width * channels
  const copy = new Float32Array(per)
  for (let n = 0; n < count; n++) {
    const dy = p > 0 ? rng.int(2 * p + 1) - p : 0
    const dx = p > 0 ? rng.int(2 * p + 1) - p : 0
    const flip = aug.flip ? rng.next() < 0.5 : false
    if (dy === 0 && dx === 0 && !flip) continue
    const base = n * per
    copy.set(images.subarray(base, base + per))
    for (let y = 0; y < height; y++) {
      const sy = y - dy
      for (let x = 0; x < width; x++) {
        const sx = (flip ? width - 1 - x : x) - dx
        const inside = sy >= 0 && sy < height && sx >= 0 && sx < width
        for (let c = 0; c < channels; c++) images[base + (y * width + x) * channels + c] = inside ? (copy[(sy * width + sx) * channels + c] as number) : fill
      }
    }
  }
}
