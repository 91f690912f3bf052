import * as tf from '@tensorflow/tfjs'
import type { FrozenEncoder } from '../diffusion/teacher.js'
import { probeTokens, type TokenProbe } from './token-probe.js'

/** Gate limits: class + position explain < 30% of the token variance, the per-image mean < 50%. */
export const TEACHER_GATE = { maxClassPositionR2: 0.3, maxGlobalShare: 0.5 } as const

/** Whether a probe passes the teacher gate, and why not. */
export function teacherGate(probe: TokenProbe): { passed: boolean; reasons: string[] } {
  const reasons: string[] = []
  if (!(probe.classPositionR2 < TEACHER_GATE.maxClassPositionR2)) reasons.push(`class + position explain ${(100 * probe.classPositionR2).toFixed(1)}% of the token variance (limit < ${100 * TEACHER_GATE.maxClassPositionR2}%)`)
  if (!(probe.globalShare < TEACHER_GATE.maxGlobalShare)) reasons.push(`the per-image mean token explains ${(100 * probe.globalShare).toFixed(1)}% of the token variance (limit < ${100 * TEACHER_GATE.maxGlobalShare}%)`)
  return { passed: reasons.length === 0, reasons }
}

/**
 * Measures a teacher before an alignment run: encodes `images` (`[n, size, size, 1]`, as the task's
 * clean inputs) in chunks, probes the tokens against `labels` and applies the gate. Frees what it makes.
 */
export function measureTeacherGate(teacher: FrozenEncoder, images: tf.Tensor4D, labels: ArrayLike<number>, classes: number, chunk = 256): { probe: TokenProbe; passed: boolean; reasons: string[] } {
  const n = images.shape[0]
  const width = teacher.tokens.width
  const tokens = new Float32Array(n * teacher.tokens.tokens * width)
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start)
    const part = tf.tidy(() => teacher.encode(tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1])))
    tokens.set(part.dataSync(), start * teacher.tokens.tokens * width)
    part.dispose()
  }
  const probe = probeTokens(tokens, labels, n, width, classes)
  return { probe, ...teacherGate(probe) }
}
