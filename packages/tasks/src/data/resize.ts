import type { LabelledImages } from './labelled-images.js'

/**
 * Weights of area averaging from `from` source pixels to `to` output pixels along one axis:
 * output pixel o covers source interval [o·from/to, (o+1)·from/to), and each source pixel counts
 * by the length of its overlap with it, divided by the interval's length. Row-major [to, from].
 */
function areaWeights(from: number, to: number): Float64Array {
  const w = new Float64Array(to * from)
  const scale = from / to
  for (let o = 0; o < to; o++) {
    const lo = o * scale
    const hi = (o + 1) * scale
    for (let s = Math.floor(lo); s < Math.min(from, Math.ceil(hi)); s++) {
      const overlap = Math.min(hi, s + 1) - Math.max(lo, s)
      if (overlap > 0) w[o * from + s] = overlap / scale
    }
  }
  return w
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
      for (let y = 0; y < H; y++) {
        const wy = ry[oy * H + y] as number
        if (wy === 0) continue
        for (let i = 0; i < W * C; i++) rows[oy * W * C + i]! += wy * (set.images[src + y * W * C + i] as number)
      }
    }
    const dst = n * height * width * C
    for (let oy = 0; oy < height; oy++) {
      for (let ox = 0; ox < width; ox++) {
        for (let c = 0; c < C; c++) {
          let s = 0
          for (let x = 0; x < W; x++) s += (rx[ox * W + x] as number) * (rows[(oy * W + x) * C + c] as number)
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
