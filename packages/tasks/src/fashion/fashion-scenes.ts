import type { Rng } from '@converge/core'
import type { LabelledImages } from '../data/labelled-images.js'
import { resizeArea } from '../data/resize.js'
import { subset } from '../data/split.js'
import { iou, type Box } from '../set-prediction/boxes.js'
import type { SceneObject } from '../set-prediction/scenes.js'

/** How the detection canvases are composed. */
export interface FashionSceneOptions {
  /** Canvas side in pixels (square, one channel). */
  readonly size: number
  readonly minObjects: number
  readonly maxObjects: number
  /** Side, in canvas pixels, a 28×28 item is resized to (uniform in [minSide, maxSide]). */
  readonly minSide: number
  readonly maxSide: number
  /** Largest IoU allowed between two items' boxes. */
  readonly maxIou: number
}

/** A pixel of a resized item counts as the item (for its box) at or above this value (of 1). */
const INK = 0.1

/**
 * One canvas: black background, `minObjects..maxObjects` real Fashion-MNIST items (drawn from
 * `items` uniformly) resized by area averaging to a seeded side and pasted (pixel-wise maximum) at a
 * seeded position, placed by rejection so no two boxes overlap by more than `maxIou`. An item's box
 * is the tight box of its pixels ≥ 0.1 (the items have blank margins), normalised `cxcywh`; its
 * class is the item's label. Pixels in [0, 1]. Every number comes from `rng`.
 */
export function drawFashionScene(rng: Rng, items: LabelledImages, image: Float32Array, offset: number, o: FashionSceneOptions): SceneObject[] {
  const n = o.size
  image.fill(0, offset, offset + n * n)
  const count = o.minObjects + rng.int(o.maxObjects - o.minObjects + 1)
  const objects: SceneObject[] = []
  for (let tries = 0; objects.length < count && tries < 100; tries++) {
    const item = rng.int(items.count)
    const s = o.minSide + rng.int(o.maxSide - o.minSide + 1)
    const x0 = rng.int(n - s + 1)
    const y0 = rng.int(n - s + 1)
    const pixels = resizeArea(subset(items, [item]), s, s).images
    let [bx0, by0, bx1, by1] = [s, s, -1, -1]
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        if ((pixels[y * s + x] as number) / 255 < INK) continue
        bx0 = Math.min(bx0, x)
        by0 = Math.min(by0, y)
        bx1 = Math.max(bx1, x)
        by1 = Math.max(by1, y)
      }
    }
    if (bx1 < 0) continue // a blank item at this scale
    const w = bx1 - bx0 + 1
    const h = by1 - by0 + 1
    const box: Box = [(x0 + bx0 + w / 2) / n, (y0 + by0 + h / 2) / n, w / n, h / n]
    if (objects.some((other) => iou(other.box, box) > o.maxIou)) continue
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const at = offset + (y0 + y) * n + x0 + x
        image[at] = Math.max(image[at] as number, (pixels[y * s + x] as number) / 255)
      }
    }
    objects.push({ label: items.labels[item] as number, box })
  }
  return objects
}

/** `count` canvases, `[count, size, size, 1]` flattened, and each canvas's objects. */
export function drawFashionScenes(rng: Rng, items: LabelledImages, count: number, o: FashionSceneOptions): { images: Float32Array; objects: SceneObject[][] } {
  const area = o.size * o.size
  const images = new Float32Array(count * area)
  const objects = Array.from({ length: count }, (_, i) => drawFashionScene(rng, items, images, i * area, o))
  return { images, objects }
}
