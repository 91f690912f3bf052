import type { Rng } from '@converge/core'
import { iou, type Box } from './boxes.js'

/** Object classes of the scenes, in label order. */
export const SCENE_CLASSES = ['square', 'disc', 'plus'] as const
export const SCENE_SIZE = 32

/** One ground-truth object: class id and normalised box `[cx, cy, w, h]` in [0, 1]. */
export interface SceneObject {
  readonly label: number
  readonly box: Box
}

export interface SceneOptions {
  readonly minObjects: number
  readonly maxObjects: number
  readonly minSide: number
  readonly maxSide: number
  /** Largest IoU allowed between two objects of a scene. */
  readonly maxIou: number
  /** Standard deviation of the Gaussian background noise. */
  readonly noise: number
}

export const DEFAULT_SCENE_OPTIONS: SceneOptions = { minObjects: 1, maxObjects: 6, minSide: 4, maxSide: 12, maxIou: 0.3, noise: 0.05 }

/** Whether the pixel centre (px, py), relative to the object's top-left corner, is inside a shape of side `s`. */
function inside(label: number, px: number, py: number, s: number): boolean {
  if (label === 0) return true
  const dx = px - s / 2
  const dy = py - s / 2
  if (label === 1) return dx * dx + dy * dy <= (s / 2) ** 2
  const arm = Math.max(1, s / 3) / 2 // plus: two bars a third of the side thick
  return Math.abs(dx) <= arm || Math.abs(dy) <= arm
}

/**
 * One procedural scene: a `SCENE_SIZE²` grayscale image (noise background, objects of intensity
 * 0.6–1) with 1–6 objects placed by rejection so no two overlap by more than `maxIou`.
 */
export function drawScene(rng: Rng, image: Float32Array, offset: number, o: SceneOptions = DEFAULT_SCENE_OPTIONS): SceneObject[] {
  const n = SCENE_SIZE
  for (let i = 0; i < n * n; i++) image[offset + i] = o.noise * rng.normal()
  const count = o.minObjects + rng.int(o.maxObjects - o.minObjects + 1)
  const objects: SceneObject[] = []
  for (let tries = 0; objects.length < count && tries < 200; tries++) {
    const s = o.minSide + rng.int(o.maxSide - o.minSide + 1)
    const x0 = rng.int(n - s + 1)
    const y0 = rng.int(n - s + 1)
    const box: Box = [(x0 + s / 2) / n, (y0 + s / 2) / n, s / n, s / n]
    if (objects.some((other) => iou(other.box, box) > o.maxIou)) continue
    const label = rng.int(SCENE_CLASSES.length)
    const intensity = 0.6 + 0.4 * rng.next()
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) if (inside(label, x + 0.5, y + 0.5, s)) image[offset + (y0 + y) * n + x0 + x] = intensity
    objects.push({ label, box })
  }
  return objects
}

/** `count` scenes: images `[count, 32, 32, 1]` flattened, and each scene's objects. */
export function drawScenes(rng: Rng, count: number, o: SceneOptions = DEFAULT_SCENE_OPTIONS): { images: Float32Array; objects: SceneObject[][] } {
  const images = new Float32Array(count * SCENE_SIZE * SCENE_SIZE)
  const objects = Array.from({ length: count }, (_, i) => drawScene(rng, images, i * SCENE_SIZE * SCENE_SIZE, o))
  return { images, objects }
}
