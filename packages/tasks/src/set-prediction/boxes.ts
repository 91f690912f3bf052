/** A normalised box `[cx, cy, w, h]`. */
export type Box = readonly [number, number, number, number]

function corners(b: Box): [number, number, number, number] {
  return [b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2]
}

/** Intersection over union of two `cxcywh` boxes (0 when both are empty). */
export function iou(a: Box, b: Box): number {
  const [ax0, ay0, ax1, ay1] = corners(a)
  const [bx0, by0, bx1, by1] = corners(b)
  const inter = Math.max(0, Math.min(ax1, bx1) - Math.max(ax0, bx0)) * Math.max(0, Math.min(ay1, by1) - Math.max(ay0, by0))
  const union = a[2] * a[3] + b[2] * b[3] - inter
  return union > 0 ? inter / union : 0
}
