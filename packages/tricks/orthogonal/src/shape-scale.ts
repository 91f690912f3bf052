/**
 * How the orthogonalized update of a matrix is scaled by its shape:
 * - 'keller' (Muon): √max(1, fan_out / fan_in), the learning rate in spectral-norm units; with
 *   tfjs's [in, out] kernel layout that is √max(1, cols / rows) (PyTorch's (out, in) layout reads
 *   rows / cols — the two differ for every non-square layer).
 * - 'moonlight': 0.2·√max(rows, cols), which makes the update's RMS 0.2·lr like AdamW's, so the
 *   matrices can share AdamW's learning rate and weight decay (ROOT's released code uses it too).
 * - 'none': 1.
 */
export const SHAPE_SCALES = ['keller', 'moonlight', 'none'] as const
export type ShapeScale = (typeof SHAPE_SCALES)[number]

/** The factor for a variable viewed as a [rows, cols] = [fan_in, fan_out] matrix (conv kernels: [kh·kw·in, out]). */
export function shapeScale(rows: number, cols: number, mode: ShapeScale): number {
  switch (mode) {
    case 'keller':
      return Math.sqrt(Math.max(1, cols / rows))
    case 'moonlight':
      return 0.2 * Math.sqrt(Math.max(rows, cols))
    case 'none':
      return 1
  }
}
