import { iou, type Box } from './boxes.js'
import type { SceneObject } from './scenes.js'

/** One detection of an image: class, confidence and normalised `cxcywh` box. */
export interface Detection {
  readonly label: number
  readonly score: number
  readonly box: Box
}

/**
 * COCO's recall thresholds, the exact doubles of numpy's `np.linspace(0, 1, 101)`: i · 0.01 (one
 * float step above i/100 at i = 35, 41, 47, 57, 69, 70, 82, 83, 94, 95), the last exactly 1. A
 * class whose recall lands on one of those points then scores as COCO scores it.
 */
export const RECALL_POINTS: readonly number[] = Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01))

/**
 * Average precision of one class at one IoU threshold, COCO style: detections of all images sorted
 * by score; each is a true positive if it overlaps a not-yet-taken ground truth of its image by at
 * least `threshold` (the best-overlapping one); precision is made monotone from the right and read
 * at the 101 recall points (0 past the highest recall). `null` when the class has no ground truth.
 */
export function classAveragePrecision(detections: readonly (readonly Detection[])[], truths: readonly (readonly SceneObject[])[], label: number, threshold: number): number | null {
  const gts = truths.map((objs) => objs.filter((o) => o.label === label))
  const total = gts.reduce((a, g) => a + g.length, 0)
  if (total === 0) return null
  const dets: { image: number; score: number; box: Box }[] = []
  detections.forEach((ds, image) => {
    for (const d of ds) if (d.label === label) dets.push({ image, score: d.score, box: d.box })
  })
  dets.sort((a, b) => b.score - a.score) // stable: ties keep image order
  const taken = gts.map((g) => new Array<boolean>(g.length).fill(false))
  const precision: number[] = []
  const recall: number[] = []
  let tp = 0
  dets.forEach((d, k) => {
    let best = -1
    let bestIou = threshold
    gts[d.image]!.forEach((g, j) => {
      if (taken[d.image]![j]) return
      const v = iou(d.box, g.box)
      if (v >= bestIou) {
        bestIou = v
        best = j
      }
    })
    if (best >= 0) {
      taken[d.image]![best] = true
      tp++
    }
    precision.push(tp / (k + 1))
    recall.push(tp / total)
  })
  for (let k = precision.length - 2; k >= 0; k--) precision[k] = Math.max(precision[k]!, precision[k + 1]!)
  let sum = 0
  let k = 0
  for (const r of RECALL_POINTS) {
    while (k < recall.length && recall[k]! < r) k++
    sum += k < recall.length ? precision[k]! : 0
  }
  return sum / RECALL_POINTS.length
}

/** Mean over classes with ground truth of the class AP at `threshold` (0 when no class has any). */
export function averagePrecision(detections: readonly (readonly Detection[])[], truths: readonly (readonly SceneObject[])[], classes: number, threshold: number): number {
  const aps = Array.from({ length: classes }, (_, c) => classAveragePrecision(detections, truths, c, threshold)).filter((v): v is number => v !== null)
  return aps.length ? aps.reduce((a, b) => a + b, 0) / aps.length : 0
}

/** AP at IoU 0.5 and COCO's AP averaged over IoU 0.5, 0.55, …, 0.95. */
export function detectionMetrics(detections: readonly (readonly Detection[])[], truths: readonly (readonly SceneObject[])[], classes: number): { ap50: number; ap: number } {
  const thresholds = Array.from({ length: 10 }, (_, i) => (50 + 5 * i) / 100)
  const per = thresholds.map((t) => averagePrecision(detections, truths, classes, t))
  return { ap50: per[0]!, ap: per.reduce((a, b) => a + b, 0) / per.length }
}
