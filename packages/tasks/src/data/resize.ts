import type { LabelledImages } from './labelled-images.js'

/**
 * Area averaging from `from` source pixels to `to` output pixels along one axis: output pixel o
 * covers source interval [o·from/to, (o+1)·from/to), and each source pixel counts by the length of
 * its overlap with it, divided by the interval's length. Per output pixel: the first source pixel
 * and the weights of the few it overlaps.
 */
function areaWeights(from: number, to: number): { first: Int32Array; weights: Float64Array[] } {
  const scale = from / to
  const first = new Int32Array(to)
  const weights: Float64Array[] = []
  for (let o = 0; o < to; o++) {
    const lo = o * scale
    const hi = (o + 1) * scale
    const start = Math.floor(lo)
    const end = Math.min(from, Math.ceil(hi))
    const w = new Float64Array(end - start)
    for (let s = start; s < end; s++) w[s - start] = Math.max(0, Math.min(hi, s + 1) - Math.max(lo, s)) / scale
    first[o] = start
    weights.push(w)
  }
  return { first, weights }
}

/**
 * Resizes every image to `height × width` by area averaging (each output pixel is the mean of the
 * source area it covers, fractional overlaps weighted): the right filter for shrinking, e.g.
 * 28×28 → 16×16, with no aliasing. Pixels come out as floats on the input's scale.
 */
export function resizeArea(set: LabelledImages, height: number, width: number): LabelledImages {
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) throw new RangeError(`resizeArea: size must be positive integers, got ${height}×${width}`)
  const { height: H, width: W, channels: C, count } = set
  const ry = areaWeights(H, height)
  const rx = areaWeights(W, width)
  const out = new Float32Array(count * height * width * C)
  const rows = new Float64Array(height * W * C) // rows resized, columns not yet
  for (let n = 0; n < count; n++) {
    const src = n * H * W * C
    rows.fill(0)
    for (let oy = 0; oy < height; oy++) {
      const wy = ry.weights[oy] as Float64Array
      for (let k = 0; k < wy.length; k++) {
        const y = (ry.first[oy] as number) + k
        const w = wy[k] as number
        for (let i = 0; i < W * C; i++) rows[oy * W * C + i]! += w * (set.images[src + y * W * C + i] as number)
      }
    }
    const dst = n * height * width * C
    for (let oy = 0; oy < height; oy++) {
      for (let ox = 0; ox < width; ox++) {
        const wx = rx.weights[ox] as Float64Array
        const x0 = rx.first[ox] as number
        for (let c = 0; c < C; c++) {
          let s = 0
          for (let k = 0; k < wx.length; k++) s += (wx[k] as number) * (rows[(oy * W + x0 + k) * C + c] as number)
          out[dst + (oy * width + ox) * C + c] = s
        }
      }
    }
  }
  return { ...set, images: out, height, width }
}

/**
 * Pads every image to `height × width` with `value`, centred (an odd remainder goes below and
 * right), e.g. 28×28 → 32×32 for a patch grid that needs a power of two. Keeps the pixel type.
 */
export function padImages(set: LabelledImages, height: number, width: number, value = 0): LabelledImages {
  const { height: H, width: W, channels: C, count } = set
  if (!(Number.isInteger(height) && height >= H && Number.isInteger(width) && width >= W)) throw new RangeError(`padImages: ${height}×${width} must be integers at least the image size ${H}×${W}`)
  const top = Math.floor((height - H) / 2)
  const left = Math.floor((width - W) / 2)
  const out = set.images instanceof Uint8Array ? new Uint8Array(count * height * width * C) : new Float32Array(count * height * width * C)
  out.fill(value)
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < H; y++) {
      const src = ((n * H + y) * W) * C
      const dst = ((n * height + top + y) * width + left) * C
      out.set(set.images.subarray(src, src + W * C), dst)
    }
  }
  return { ...set, images: out, height, width }
}
