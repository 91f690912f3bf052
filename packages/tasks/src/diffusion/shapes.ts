import type { Rng } from '@converge/core'

/** The shape classes, in label order. */
export const SHAPE_CLASSES = ['disc', 'square', 'triangle', 'ring', 'plus', 'bar'] as const
export type ShapeClass = (typeof SHAPE_CLASSES)[number]

/** Image side in pixels (square, one channel). */
export const SHAPE_IMAGE_SIZE = 16

/** Is local point (u, v) inside a shape of radius r (the shape's frame: centred, unrotated)? */
function inside(cls: number, u: number, v: number, r: number): boolean {
  const au = Math.abs(u)
  const av = Math.abs(v)
  switch (cls) {
    case 0:
      return u * u + v * v <= r * r
    case 1:
      return Math.max(au, av) <= 0.8 * r
    case 2: {
      // equilateral triangle: three half-planes at distance r/2 from the centre
      for (let k = 0; k < 3; k++) {
        const a = Math.PI / 2 + (2 * Math.PI * k) / 3
        if (u * Math.cos(a) + v * Math.sin(a) > r / 2) return false
      }
      return true
    }
    case 3: {
      const d2 = u * u + v * v
      return d2 <= r * r && d2 >= 0.3 * r * r
    }
    case 4:
      return (au <= 0.3 * r && av <= r) || (av <= 0.3 * r && au <= r)
    case 5:
      return au <= r && av <= 0.3 * r
    default:
      throw new RangeError(`no shape class ${cls} (classes 0..${SHAPE_CLASSES.length - 1})`)
  }
}

/**
 * Draws one 16×16 image of class `cls` into `out` at `offset`: random centre, radius, rotation and
 * intensity; background −1, shape up to +1, 2×2 supersampled edges. Every number comes from `rng`.
 */
export function drawShape(rng: Rng, cls: number, out: Float32Array, offset = 0): void {
  const n = SHAPE_IMAGE_SIZE
  const r = 3.5 + 2 * rng.next()
  const cx = n / 2 + (rng.next() - 0.5) * (n - 2 * r - 1)
  const cy = n / 2 + (rng.next() - 0.5) * (n - 2 * r - 1)
  const theta = rng.next() * Math.PI
  const intensity = 0.5 + 0.5 * rng.next()
  const c = Math.cos(theta)
  const s = Math.sin(theta)
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let covered = 0
      for (let sy = 0; sy < 2; sy++) {
        for (let sx = 0; sx < 2; sx++) {
          const dx = x + 0.25 + 0.5 * sx - cx
          const dy = y + 0.25 + 0.5 * sy - cy
          if (inside(cls, c * dx + s * dy, -s * dx + c * dy, r)) covered++
        }
      }
      out[offset + y * n + x] = -1 + (covered / 4) * (1 + intensity)
    }
  }
}

/** `count` images with labels cycling through the classes in a shuffled order (balanced when count is a multiple of 6). */
export function shapeSet(rng: Rng, count: number): { images: Float32Array; labels: Int32Array } {
  const size = SHAPE_IMAGE_SIZE * SHAPE_IMAGE_SIZE
  const images = new Float32Array(count * size)
  const labels = new Int32Array(count)
  const order = rng.shuffle(Array.from({ length: count }, (_, i) => i % SHAPE_CLASSES.length))
  for (let i = 0; i < count; i++) {
    labels[i] = order[i] as number
    drawShape(rng, order[i] as number, images, i * size)
  }
  return { images, labels }
}

/** `count` images of uniformly random classes (the infinite training stream). */
export function randomShapes(rng: Rng, count: number): { images: Float32Array; labels: Int32Array } {
  const size = SHAPE_IMAGE_SIZE * SHAPE_IMAGE_SIZE
  const images = new Float32Array(count * size)
  const labels = new Int32Array(count)
  for (let i = 0; i < count; i++) {
    const cls = rng.int(SHAPE_CLASSES.length)
    labels[i] = cls
    drawShape(rng, cls, images, i * size)
  }
  return { images, labels }
}
