import * as tf from '@tensorflow/tfjs'

/** `[batch, size, size, 1]` images → `[batch, (size/p)², p²]` patch tokens, row-major over the grid. */
export function patchify(images: tf.Tensor, patch: number): tf.Tensor3D {
  const [b, h, w] = images.shape as [number, number, number, number]
  if (h % patch !== 0 || w % patch !== 0) throw new RangeError(`image ${h}×${w} is not divisible into ${patch}×${patch} patches`)
  const gy = h / patch
  const gx = w / patch
  const grid = tf.reshape(images, [b, gy, patch, gx, patch])
  return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4]), [b, gy * gx, patch * patch]) as tf.Tensor3D
}

/** The inverse of `patchify` for a square image of side `size`. */
export function unpatchify(tokens: tf.Tensor3D, patch: number, size: number): tf.Tensor4D {
  const b = tokens.shape[0]
  const g = size / patch
  const grid = tf.reshape(tokens, [b, g, g, patch, patch])
  return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4]), [b, size, size, 1]) as tf.Tensor4D
}

/** Fixed 2-D sin-cos position embedding `[grid², width]` (half the channels for rows, half for columns). */
export function sinCosPositions(grid: number, width: number): Float32Array {
  if (width % 4 !== 0) throw new RangeError(`position embedding width must be a multiple of 4, got ${width}`)
  const quarter = width / 4
  const out = new Float32Array(grid * grid * width)
  for (let y = 0; y < grid; y++) {
    for (let x = 0; x < grid; x++) {
      const row = (y * grid + x) * width
      for (let i = 0; i < quarter; i++) {
        const omega = 1 / 10000 ** (i / quarter)
        out[row + i] = Math.sin(y * omega)
        out[row + quarter + i] = Math.cos(y * omega)
        out[row + 2 * quarter + i] = Math.sin(x * omega)
        out[row + 3 * quarter + i] = Math.cos(x * omega)
      }
    }
  }
  return out
}

/** Layer norm over the last axis, no affine parameters (adaLN supplies scale and shift). */
export function layerNorm(x: tf.Tensor, epsilon = 1e-6): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true)
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon)))
}

/**
 * Multi-head self-attention core: `x [b, n, d]` with fused `qkv [d, 3d]` weights → `[b, n, d]`
 * before the output projection. Heads are computed from column slices of the weights, so no 4-D
 * transposes are needed (they dominate a tiny model's step on CPU backends).
 */
export function selfAttention(x: tf.Tensor3D, qkvW: tf.Tensor2D, qkvB: tf.Tensor1D, heads: number): tf.Tensor3D {
  const d = x.shape[2]
  const dh = d / heads
  const qkv = dense3d(x, qkvW, qkvB)
  const outs: tf.Tensor3D[] = []
  for (let h = 0; h < heads; h++) {
    const part = (i: number) => tf.slice(qkv, [0, 0, i * d + h * dh], [-1, -1, dh]) as tf.Tensor3D
    const attention = tf.softmax(tf.mul(tf.matMul(part(0), part(1), false, true), 1 / Math.sqrt(dh)))
    outs.push(tf.matMul(attention, part(2)) as tf.Tensor3D)
  }
  return heads === 1 ? outs[0]! : (tf.concat(outs, 2) as tf.Tensor3D)
}

/** `x [b, n, din] @ w [din, dout] + bias`. */
export function dense3d(x: tf.Tensor3D, w: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor3D {
  const [b, n, din] = x.shape
  const y = tf.matMul(tf.reshape(x, [b * n, din]), w)
  return tf.reshape(bias ? tf.add(y, bias) : y, [b, n, w.shape[1]]) as tf.Tensor3D
}
