import * as tf from '@tensorflow/tfjs'
import type { LossParts, Match } from '@converge/core'
import type { DetrPrediction } from './mini-detr.js'
import type { SceneObject } from './scenes.js'

/** DETR's matching costs and loss weights (class 2 with sigmoid focal, L1 5, GIoU 2), and focal α, γ. */
export const SET_WEIGHTS = { class: 2, l1: 5, giou: 2 } as const
/** Focal loss α and γ (γ = 2 is computed as a square). */
export const FOCAL = { alpha: 0.25, gamma: 2 } as const

/** Generalised IoU of `cxcywh` boxes, broadcasting over all but the last axis (size 4). */
export function generalizedIou(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [acx, acy, aw, ah] = tf.split(a, 4, -1)
  const [bcx, bcy, bw, bh] = tf.split(b, 4, -1)
  const lo = (c: tf.Tensor, s: tf.Tensor) => tf.sub(c, tf.div(s, 2))
  const hi = (c: tf.Tensor, s: tf.Tensor) => tf.add(c, tf.div(s, 2))
  const [ax0, ay0, ax1, ay1] = [lo(acx!, aw!), lo(acy!, ah!), hi(acx!, aw!), hi(acy!, ah!)]
  const [bx0, by0, bx1, by1] = [lo(bcx!, bw!), lo(bcy!, bh!), hi(bcx!, bw!), hi(bcy!, bh!)]
  const inter = tf.mul(tf.relu(tf.sub(tf.minimum(ax1, bx1), tf.maximum(ax0, bx0))), tf.relu(tf.sub(tf.minimum(ay1, by1), tf.maximum(ay0, by0))))
  const union = tf.sub(tf.add(tf.mul(aw!, ah!), tf.mul(bw!, bh!)), inter)
  const hull = tf.mul(tf.sub(tf.maximum(ax1, bx1), tf.minimum(ax0, bx0)), tf.sub(tf.maximum(ay1, by1), tf.minimum(ay0, by0)))
  const giou = tf.sub(tf.div(inter, tf.add(union, 1e-7)), tf.div(tf.sub(hull, union), tf.add(hull, 1e-7)))
  return tf.squeeze(giou, [-1])
}

/** Padded targets of a batch: labels `[B, M]`, boxes `[B, M, 4]` (padding: class 0, a valid dummy box). */
function padded(objects: readonly (readonly SceneObject[])[], classes: number): { oneHot: tf.Tensor3D; boxes: tf.Tensor3D; width: number } {
  const width = Math.max(1, ...objects.map((o) => o.length))
  const labels = new Int32Array(objects.length * width)
  const boxes = new Float32Array(objects.length * width * 4).fill(0.5)
  objects.forEach((objs, i) =>
    objs.forEach((o, j) => {
      labels[i * width + j] = o.label
      boxes.set(o.box, (i * width + j) * 4)
    }),
  )
  const oneHot = tf.oneHot(tf.tensor2d(labels, [objects.length, width], 'int32'), classes) as tf.Tensor3D
  return { oneHot: tf.cast(oneHot, 'float32') as tf.Tensor3D, boxes: tf.tensor3d(boxes, [objects.length, width, 4]), width }
}

/**
 * Matching costs per image, `[n, N_i]`: 2·focal class cost (α(1−p)^γ(−log p) − (1−α)p^γ(−log(1−p))
 * at the object's class) + 5·L1(cxcywh) − 2·GIoU, as DETR's Hungarian matcher with focal loss.
 */
export function matchingCosts(pred: DetrPrediction, objects: readonly (readonly SceneObject[])[], classes: number): tf.Tensor2D[] {
  const { oneHot, boxes } = padded(objects, classes)
  const p = tf.sigmoid(pred.logits)
  const { alpha } = FOCAL
  const pos = tf.mul(tf.mul(alpha, tf.square(tf.sub(1, p))), tf.neg(tf.log(tf.add(p, 1e-8))))
  const neg = tf.mul(tf.mul(1 - alpha, tf.square(p)), tf.neg(tf.log(tf.add(tf.sub(1, p), 1e-8))))
  const classCost = tf.matMul(tf.sub(pos, neg) as tf.Tensor3D, oneHot, false, true) // [B, n, M]
  const pb = tf.expandDims(pred.boxes, 2) // [B, n, 1, 4]
  const tb = tf.expandDims(boxes, 1) // [B, 1, M, 4]
  const l1 = tf.sum(tf.abs(tf.sub(pb, tb)), -1)
  const giou = generalizedIou(pb, tb)
  const cost = tf.add(tf.add(tf.mul(SET_WEIGHTS.class, classCost), tf.mul(SET_WEIGHTS.l1, l1)), tf.mul(-SET_WEIGHTS.giou, giou)) as tf.Tensor3D
  const n = pred.logits.shape[1]
  return objects.map((objs, i) => tf.reshape(tf.slice(cost, [i, 0, 0], [1, n, objs.length]), [n, objs.length]) as tf.Tensor2D)
}

/**
 * DETR's set loss for given matches: sigmoid focal class loss over every query and class (matched
 * queries positive for their object's class, all else negative), L1 and 1 − GIoU over the matched
 * pairs; each summed and divided by `normalizer`, then weighted 2 / 5 / 2.
 */
export function setLoss(pred: DetrPrediction, objects: readonly (readonly SceneObject[])[], matches: readonly (readonly Match[])[], normalizer: number, classes: number): LossParts {
  const [B, n] = pred.logits.shape
  const target = new Float32Array(B * n * classes)
  // matched boxes as dense per-query targets and a mask (each query is matched at most once), not
  // a gather: tf.gather's gradient (UnsortedSegmentSum) runs on the CPU fallback under WASM and
  // cost seconds per step at K·Q = 132 queries
  const mask = new Float32Array(B * n)
  const boxes = new Float32Array(B * n * 4).fill(0.5)
  matches.forEach((ms, i) =>
    ms.forEach((m) => {
      if (m.query < 0 || m.query >= n) throw new RangeError(`match query ${m.query} is outside the ${n} predictions`)
      const obj = objects[i]![m.target]
      if (!obj) throw new RangeError(`image ${i} has no object ${m.target}`)
      const q = i * n + m.query
      if (mask[q]) throw new RangeError(`query ${m.query} of image ${i} is matched twice`)
      mask[q] = 1
      target[q * classes + obj.label] = 1
      boxes.set(obj.box, q * 4)
    }),
  )
  const { alpha } = FOCAL
  const t = tf.tensor3d(target, [B, n, classes])
  const x = pred.logits
  const p = tf.sigmoid(x)
  // stable BCE with logits: max(x, 0) − x·t + log(1 + e^(−|x|))
  const ce = tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))))
  const pt = tf.add(tf.mul(p, t), tf.mul(tf.sub(1, p), tf.sub(1, t)))
  const at = tf.add(tf.mul(alpha, t), tf.mul(1 - alpha, tf.sub(1, t)))
  const focal = tf.mul(tf.mul(at, tf.square(tf.sub(1, pt))), ce)
  const cls = tf.mul(SET_WEIGHTS.class / normalizer, tf.sum(focal)) as tf.Scalar
  const w = tf.tensor2d(mask, [B, n])
  const goal = tf.tensor3d(boxes, [B, n, 4])
  const l1 = tf.mul(SET_WEIGHTS.l1 / normalizer, tf.sum(tf.mul(tf.sum(tf.abs(tf.sub(pred.boxes, goal)), -1), w))) as tf.Scalar
  const giou = tf.mul(SET_WEIGHTS.giou / normalizer, tf.sum(tf.mul(tf.sub(1, generalizedIou(pred.boxes, goal)), w))) as tf.Scalar
  return { class: cls, l1, giou }
}
