import * as tf from '@tensorflow/tfjs'
import type { Rng } from '@converge/core'
import { dense3d, layerNorm, patchify, selfAttention, sinCosPositions, unpatchify } from './patches.js'

/** Shape of the SiT-style denoiser. */
export interface SitConfig {
  readonly imageSize: number
  readonly patch: number
  readonly width: number
  readonly depth: number
  readonly heads: number
  readonly mlpRatio: number
  readonly classes: number
}

interface SitBlock {
  /** adaLN-Zero modulation: SiLU(c) → shift/scale/gate for attention and MLP (6·width), zero at init. */
  readonly modW: tf.Variable
  readonly modB: tf.Variable
  readonly qkvW: tf.Variable
  readonly qkvB: tf.Variable
  readonly projW: tf.Variable
  readonly projB: tf.Variable
  readonly fc1W: tf.Variable
  readonly fc1B: tf.Variable
  readonly fc2W: tf.Variable
  readonly fc2B: tf.Variable
}

/** Forward output: the predicted velocity and the hidden state after every block. */
export interface SitOutput {
  readonly v: tf.Tensor4D
  readonly blocks: readonly tf.Tensor3D[]
}

/**
 * A small SiT (scalable interpolant transformer): patch embedding + fixed sin-cos positions,
 * `depth` pre-norm blocks conditioned by adaLN-Zero on t-embedding + class embedding (one extra
 * "null" class for label dropout), and a zero-initialised final layer, so the untrained model
 * predicts v = 0 and every block starts as the identity.
 */
export class Sit {
  readonly variables: tf.Variable[] = []
  readonly patchW: tf.Variable
  readonly patchB: tf.Variable
  readonly timeW1: tf.Variable
  readonly timeB1: tf.Variable
  readonly timeW2: tf.Variable
  readonly timeB2: tf.Variable
  readonly classTable: tf.Variable
  readonly blocks: SitBlock[]
  readonly finalModW: tf.Variable
  readonly finalModB: tf.Variable
  readonly finalW: tf.Variable
  readonly finalB: tf.Variable
  private readonly positions: tf.Tensor2D
  private readonly frequencies: tf.Tensor1D

  constructor(
    readonly config: SitConfig,
    rng: Rng,
    name: (local: string) => string,
  ) {
    const { width: d, patch, classes, mlpRatio } = config
    if (d % config.heads !== 0) throw new RangeError(`width ${d} is not divisible by ${config.heads} heads`)
    const pd = patch * patch
    const make = (shape: number[], std: number, local: string): tf.Variable => {
      const init = std === 0 ? tf.zeros(shape) : tf.randomNormal(shape, 0, std, 'float32', rng.opSeed())
      const v = tf.variable(init, true, name(local))
      init.dispose()
      this.variables.push(v)
      return v
    }
    const xavier = (fanIn: number, fanOut: number) => Math.sqrt(2 / (fanIn + fanOut))
    this.patchW = make([pd, d], xavier(pd, d), 'patch/w')
    this.patchB = make([d], 0, 'patch/b')
    this.timeW1 = make([d, d], 0.02, 'time/w1')
    this.timeB1 = make([d], 0, 'time/b1')
    this.timeW2 = make([d, d], 0.02, 'time/w2')
    this.timeB2 = make([d], 0, 'time/b2')
    this.classTable = make([classes + 1, d], 0.02, 'class/table')
    const hidden = d * mlpRatio
    this.blocks = Array.from({ length: config.depth }, (_, i) => ({
      modW: make([d, 6 * d], 0, `block${i + 1}/mod/w`),
      modB: make([6 * d], 0, `block${i + 1}/mod/b`),
      qkvW: make([d, 3 * d], xavier(d, 3 * d), `block${i + 1}/qkv/w`),
      qkvB: make([3 * d], 0, `block${i + 1}/qkv/b`),
      projW: make([d, d], xavier(d, d), `block${i + 1}/proj/w`),
      projB: make([d], 0, `block${i + 1}/proj/b`),
      fc1W: make([d, hidden], xavier(d, hidden), `block${i + 1}/fc1/w`),
      fc1B: make([hidden], 0, `block${i + 1}/fc1/b`),
      fc2W: make([hidden, d], xavier(hidden, d), `block${i + 1}/fc2/w`),
      fc2B: make([d], 0, `block${i + 1}/fc2/b`),
    }))
    this.finalModW = make([d, 2 * d], 0, 'final/mod/w')
    this.finalModB = make([2 * d], 0, 'final/mod/b')
    this.finalW = make([d, pd], 0, 'final/w')
    this.finalB = make([pd], 0, 'final/b')
    const grid = config.imageSize / patch
    this.positions = tf.tensor2d(sinCosPositions(grid, d), [grid * grid, d])
    const half = d / 2
    this.frequencies = tf.tensor1d(Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half)))
  }

  /** Embedders and blocks 1..depth: what a forward of the first `depth` blocks uses. */
  variablesTo(depth: number): tf.Variable[] {
    this.checkDepth(depth)
    const embedders = [this.patchW, this.patchB, this.timeW1, this.timeB1, this.timeW2, this.timeB2, this.classTable]
    return [...embedders, ...this.blocks.slice(0, depth).flatMap((b) => Object.values(b) as tf.Variable[])]
  }

  /** Conditioning vector `[b, width]`: MLP(sinusoidal(1000·t)) + class embedding (label `classes` = null class). */
  private condition(t: tf.Tensor1D, labels: tf.Tensor1D): tf.Tensor2D {
    const args = tf.mul(tf.reshape(tf.mul(t, 1000), [-1, 1]), this.frequencies)
    const sinusoid = tf.concat([tf.cos(args), tf.sin(args)], 1)
    const pre = tf.add(tf.matMul(sinusoid, this.timeW1), this.timeB1)
    const hidden = tf.mul(pre, tf.sigmoid(pre))
    const timeEmbedding = tf.add(tf.matMul(hidden, this.timeW2), this.timeB2)
    // one-hot @ table rather than tf.gather: gather's gradient (UnsortedSegmentSum) has no WASM
    // kernel and runs on the CPU backend, ~7 ms a step; the one-hot product picks the same rows exactly
    const classEmbedding = tf.matMul(tf.oneHot(labels, this.config.classes + 1), this.classTable)
    return tf.add(timeEmbedding, classEmbedding) as tf.Tensor2D
  }

  /** Hidden states after blocks 1..upTo for inputs `x` (noisy images) at times `t`. */
  trunk(x: tf.Tensor, t: tf.Tensor1D, labels: tf.Tensor1D, upTo: number): { states: tf.Tensor3D[]; c: tf.Tensor2D } {
    this.checkDepth(upTo)
    const d = this.config.width
    const c = this.condition(t, labels)
    const siluC = tf.mul(c, tf.sigmoid(c))
    let h = tf.add(dense3d(patchify(x, this.config.patch), this.patchW as tf.Tensor2D, this.patchB as tf.Tensor1D), this.positions) as tf.Tensor3D
    const states: tf.Tensor3D[] = []
    for (const block of this.blocks.slice(0, upTo)) {
      const mod = tf.reshape(tf.add(tf.matMul(siluC, block.modW), block.modB), [-1, 1, 6 * d])
      const [shiftA, scaleA, gateA, shiftM, scaleM, gateM] = tf.split(mod, 6, 2) as tf.Tensor3D[]
      const modulate = (z: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor) => tf.add(tf.mul(layerNorm(z), tf.add(1, scale)), shift) as tf.Tensor3D
      const attended = dense3d(selfAttention(modulate(h, shiftA!, scaleA!), block.qkvW as tf.Tensor2D, block.qkvB as tf.Tensor1D, this.config.heads), block.projW as tf.Tensor2D, block.projB as tf.Tensor1D)
      h = tf.add(h, tf.mul(gateA!, attended)) as tf.Tensor3D
      const inner = dense3d(modulate(h, shiftM!, scaleM!), block.fc1W as tf.Tensor2D, block.fc1B as tf.Tensor1D)
      const mlp = dense3d(tf.mul(inner, tf.sigmoid(tf.mul(1.702, inner))) as tf.Tensor3D, block.fc2W as tf.Tensor2D, block.fc2B as tf.Tensor1D) // GELU (sigmoid approximation)
      h = tf.add(h, tf.mul(gateM!, mlp)) as tf.Tensor3D
      states.push(h)
    }
    return { states, c }
  }

  /** Predicted velocity `[b, size, size, 1]` for noisy images `x` at times `t`, plus every block's state. */
  forward(x: tf.Tensor, t: tf.Tensor1D, labels: tf.Tensor1D): SitOutput {
    const { states, c } = this.trunk(x, t, labels, this.config.depth)
    const siluC = tf.mul(c, tf.sigmoid(c))
    const mod = tf.reshape(tf.add(tf.matMul(siluC, this.finalModW), this.finalModB), [-1, 1, 2 * this.config.width])
    const [shift, scale] = tf.split(mod, 2, 2) as tf.Tensor3D[]
    const last = states.at(-1) as tf.Tensor3D
    const normed = tf.add(tf.mul(layerNorm(last), tf.add(1, scale!)), shift!) as tf.Tensor3D
    const tokens = dense3d(normed, this.finalW as tf.Tensor2D, this.finalB as tf.Tensor1D)
    return { v: unpatchify(tokens, this.config.patch, this.config.imageSize), blocks: states }
  }

  private checkDepth(depth: number): void {
    if (!Number.isInteger(depth) || depth < 1 || depth > this.config.depth) throw new RangeError(`block depth must be an integer in 1..${this.config.depth}, got ${depth}`)
  }

  dispose(): void {
    for (const v of this.variables) v.dispose()
    this.positions.dispose()
    this.frequencies.dispose()
  }
}
