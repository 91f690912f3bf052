import type { Rng } from '@converge/core'
import { resizeArea } from '../data/resize.js'
import type { LabelledImages } from '../data/labelled-images.js'

/**
 * Fashion-MNIST pixels for the generative and representation tasks: bytes 0..255 of 28×28 images,
 * area-resized to `size`×`size` and mapped to [−1, 1] (background −1). Returns a float set.
 */
export function unitScaleImages(set: LabelledImages, size: number): LabelledImages {
  const resized = set.height === size && set.width === size ? set : resizeArea(set, size, size)
  const images = Float32Array.from(resized.images, (v) => (2 * v) / 255 - 1)
  return { ...resized, images }
}

/** Images `indices` of a float set, copied out row-major (`[indices.length, h, w, c]` flattened). */
export function gatherImages(set: LabelledImages, indices: ArrayLike<number>): Float32Array {
  const per = set.height * set.width * set.channels
  const out = new Float32Array(indices.length * per)
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] as number
    out.set(set.images.subarray(src * per, (src + 1) * per), i * per)
  }
  return out
}

/**
 * A seeded augmented view of `n` square images of side `size` in [−1, 1]: a shift of up to ±1 px
 * (background fill), a horizontal flip with probability ½ and N(0, noise²) pixel noise. Returns the
 * view and each image's flip, so a spatial map of the view can be flipped back to the original's frame.
 */
export function augmentView(rng: Rng, images: Float32Array, n: number, size: number, noise = 0.05): { view: Float32Array; flipped: boolean[] } {
  const view = new Float32Array(images.length)
  const flipped: boolean[] = []
  const area = size * size
  for (let i = 0; i < n; i++) {
    const dx = rng.int(3) - 1
    const dy = rng.int(3) - 1
    const flip = rng.next() < 0.5
    flipped.push(flip)
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sx = (flip ? size - 1 - x : x) - dx
        const sy = y - dy
        const v = sx < 0 || sy < 0 || sx >= size || sy >= size ? -1 : (images[i * area + sy * size + sx] as number)
        view[i * area + y * size + x] = v + noise * rng.normal()
      }
    }
  }
  return { view, flipped }
}
