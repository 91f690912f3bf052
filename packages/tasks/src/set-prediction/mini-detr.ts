import * as tf from '@tensorflow/tfjs'
import type { Rng, SelfAttentionWrapper } from '@converge/core'
import { dense3d, sinCosPositions } from '../diffusion/patches.js'

/** Shape of the mini DETR. */
export interface MiniDetrConfig {
  readonly imageSize: number
  readonly width: number
  readonly heads: number
  readonly encoderLayers: number
  readonly decoderLayers: number
  /** Queries of the model's own set (Q). */
  readonly queries: number
  readonly classes: number
  /** FFN hidden width as a multiple of the width. */
  readonly ffnRatio: number
  /** Stride-2 stem convolutions (default 2: tokens on a (size/4)² grid; 3: (size/8)², for larger images). */
  readonly stemConvs?: 2 | 3
}

/** One decoder layer's predictions: class logits `[B, n, classes]`, boxes `[B, n, 4]` (cxcywh in [0, 1]). */
export interface DetrPrediction {
  readonly logits: tf.Tensor3D
  readonly boxes: tf.Tensor3D
}

/** Forward output: the predictions of every decoder layer (the last is the model's output). */
export interface DetrOutput {
  readonly layers: readonly DetrPrediction[]
}

interface Attention {
  readonly wq: tf.Variable
  readonly bq: tf.Variable
  readonly wk: tf.Variable
  readonly bk: tf.Variable
  readonly wv: tf.Variable
  readonly bv: tf.Variable
  readonly wo: tf.Variable
  readonly bo: tf.Variable
}
interface Norm {
  readonly gamma: tf.Variable
  readonly beta: tf.Variable
}
interface Ffn {
  readonly w1: tf.Variable
  readonly b1: tf.Variable
  readonly w2: tf.Variable
  readonly b2: tf.Variable
}
interface EncoderLayer {
  readonly self: Attention
  readonly norm1: Norm
  readonly ffn: Ffn
  readonly norm2: Norm
}
interface DecoderLayer extends EncoderLayer {
  readonly cross: Attention
  readonly norm3: Norm
}

/** Local names of the stem and encoder weights (`stem/conv1`, `enc0/self/wq`, ...): what a pretrained encoder holds. */
export const isEncoderWeight = (local: string): boolean => /^(stem|enc\d+)\//.test(local)

/** The prior-probability class bias of RetinaNet/Deformable DETR: sigmoid(bias) = 0.01 at init. */
export const CLASS_PRIOR_BIAS = -Math.log((1 - 0.01) / 0.01)

const d2 = (v: tf.Variable) => v as unknown as tf.Tensor2D
const d1 = (v: tf.Variable) => v as unknown as tf.Tensor1D

/**
 * A 2×2, stride-2 convolution + ReLU as space-to-depth and one matmul: `[B, H, W, C]` with
 * weights `[4C, C']` → `[B, H/2, W/2, C']`. (tfjs-wasm's conv filter gradient is ~100× slower
 * than this on a 2-core CPU.)
 */
function strideTwoConv(x: tf.Tensor4D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor4D {
  const [b, h, wd, c] = x.shape
  const patches = tf.reshape(tf.transpose(tf.reshape(x, [b, h / 2, 2, wd / 2, 2, c]), [0, 1, 3, 2, 4, 5]), [b * (h / 2) * (wd / 2), 4 * c])
  return tf.reshape(tf.relu(tf.add(tf.matMul(patches, w), bias)), [b, h / 2, wd / 2, w.shape[1]]) as tf.Tensor4D
}

/**
 * A small DETR for 32×32 grayscale scenes: a conv stem (two 2×2 stride-2 convs → 8×8 tokens)
 * with fixed 2-D sine positions, post-norm transformer encoder and decoder layers (decoder: self-
 * attention over the queries → cross-attention to the encoder memory → FFN; queries are the
 * positional part, the content starts at zero, as in DETR), one shared output norm, a sigmoid class
 * head with the prior bias and a 3-layer box MLP (last layer zero-initialised) predicting the box
 * relative to a per-query reference point (Conditional DETR's `inverse_sigmoid(reference)`
 * offset), applied after every decoder layer for the auxiliary losses.
 */
export class MiniDetr {
  /** The trainable variables (every weight, or all but the stem and encoder when they are pretrained). */
  readonly variables: tf.Variable[] = []
  /** The stem and encoder weights loaded from `pretrainedEncoder`: not trainable, never in `variables`. */
  readonly frozenVariables: tf.Variable[] = []
  /** The stem and encoder variables (trainable or frozen) by local name: what `exportWeights` saves as a pretrained encoder. */
  readonly encoderWeights: Record<string, tf.Variable> = {}
  readonly queryEmbedding: tf.Variable<tf.Rank.R2>
  private readonly conv1: tf.Variable
  private readonly conv1b: tf.Variable
  private readonly conv2: tf.Variable
  private readonly conv2b: tf.Variable
  private readonly conv3: { w: tf.Variable; b: tf.Variable } | null
  private readonly encoder: EncoderLayer[]
  private readonly decoder: DecoderLayer[]
  private readonly outNorm: Norm
  private readonly classW: tf.Variable
  private readonly classB: tf.Variable
  private readonly box: { w: tf.Variable; b: tf.Variable }[]
  private readonly refW: tf.Variable
  private readonly refB: tf.Variable
  private readonly positions: tf.Tensor2D

  constructor(
    readonly config: MiniDetrConfig,
    rng: Rng,
    name: (local: string) => string,
    /**
     * Stem and encoder weights by local name (`stem/conv1`, `enc0/self/wq`, ...; exactly those of
     * this shape): copied into frozen variables instead of drawn. The caller keeps owning the map.
     */
    pretrainedEncoder?: tf.NamedTensorMap,
  ) {
    const { width: d, classes, ffnRatio } = config
    if (d % config.heads !== 0 || d % 4 !== 0) throw new RangeError(`width ${d} must be a multiple of 4 and of ${config.heads} heads`)
    const used = new Set<string>()
    const fail = (message: string): never => {
      for (const v of [...this.variables, ...this.frozenVariables]) v.dispose()
      throw new RangeError(message)
    }
    // init: a normal's standard deviation, or a constant; a pretrained stem/encoder weight is copied and frozen
    const make = (shape: number[], init: number | 'zeros' | 'ones' | { fill: number }, local: string): tf.Variable => {
      if (pretrainedEncoder && isEncoderWeight(local)) {
        const given = pretrainedEncoder[local]
        if (!given) return fail(`pretrained encoder lacks weight "${local}" (shape [${shape}]); it must hold the stem and encoder of this model`)
        if (given.shape.length !== shape.length || given.shape.some((n, i) => n !== shape[i])) {
          return fail(`pretrained encoder weight "${local}" has shape [${given.shape}]; this model (width ${d}, ${config.encoderLayers} encoder layers) needs [${shape}]`)
        }
        used.add(local)
        const frozen = tf.variable(given, false, name(local))
        this.frozenVariables.push(frozen)
        this.encoderWeights[local] = frozen
        return frozen
      }
      const value =
        init === 'zeros' ? tf.zeros(shape) : init === 'ones' ? tf.ones(shape) : typeof init === 'object' ? tf.fill(shape, init.fill) : tf.randomNormal(shape, 0, init, 'float32', rng.opSeed())
      const v = tf.variable(value, true, name(local))
      value.dispose()
      this.variables.push(v)
      if (isEncoderWeight(local)) this.encoderWeights[local] = v
      return v
    }
    const xavier = (fanIn: number, fanOut: number) => Math.sqrt(2 / (fanIn + fanOut))
    const attention = (p: string): Attention => ({
      wq: make([d, d], xavier(d, d), `${p}/wq`),
      bq: make([d], 'zeros', `${p}/bq`),
      wk: make([d, d], xavier(d, d), `${p}/wk`),
      bk: make([d], 'zeros', `${p}/bk`),
      wv: make([d, d], xavier(d, d), `${p}/wv`),
      bv: make([d], 'zeros', `${p}/bv`),
      wo: make([d, d], xavier(d, d), `${p}/wo`),
      bo: make([d], 'zeros', `${p}/bo`),
    })
    const norm = (p: string): Norm => ({ gamma: make([d], 'ones', `${p}/gamma`), beta: make([d], 'zeros', `${p}/beta`) })
    const ffn = (p: string): Ffn => ({
      w1: make([d, d * ffnRatio], xavier(d, d * ffnRatio), `${p}/w1`),
      b1: make([d * ffnRatio], 'zeros', `${p}/b1`),
      w2: make([d * ffnRatio, d], xavier(d * ffnRatio, d), `${p}/w2`),
      b2: make([d], 'zeros', `${p}/b2`),
    })
    const stem = d / 2
    this.conv1 = make([4, stem], Math.sqrt(2 / 4), 'stem/conv1')
    this.conv1b = make([stem], 'zeros', 'stem/conv1b')
    this.conv2 = make([4 * stem, d], Math.sqrt(2 / (4 * stem)), 'stem/conv2')
    this.conv2b = make([d], 'zeros', 'stem/conv2b')
    this.conv3 = config.stemConvs === 3 ? { w: make([4 * d, d], Math.sqrt(2 / (4 * d)), 'stem/conv3'), b: make([d], 'zeros', 'stem/conv3b') } : null
    this.encoder = Array.from({ length: config.encoderLayers }, (_, i) => ({
      self: attention(`enc${i}/self`),
      norm1: norm(`enc${i}/norm1`),
      ffn: ffn(`enc${i}/ffn`),
      norm2: norm(`enc${i}/norm2`),
    }))
    this.decoder = Array.from({ length: config.decoderLayers }, (_, i) => ({
      self: attention(`dec${i}/self`),
      norm1: norm(`dec${i}/norm1`),
      cross: attention(`dec${i}/cross`),
      norm2: norm(`dec${i}/norm2`),
      ffn: ffn(`dec${i}/ffn`),
      norm3: norm(`dec${i}/norm3`),
    }))
    this.outNorm = norm('out/norm')
    this.classW = make([d, classes], 0.01, 'head/class/w')
    this.classB = make([classes], { fill: CLASS_PRIOR_BIAS }, 'head/class/b')
    this.box = [
      { w: make([d, d], xavier(d, d), 'head/box/w1'), b: make([d], 'zeros', 'head/box/b1') },
      { w: make([d, d], xavier(d, d), 'head/box/w2'), b: make([d], 'zeros', 'head/box/b2') },
      { w: make([d, 4], 'zeros', 'head/box/w3'), b: make([4], 'zeros', 'head/box/b3') },
    ]
    this.refW = make([d, 2], xavier(d, 2), 'head/ref/w')
    this.refB = make([2], 'zeros', 'head/ref/b')
    this.queryEmbedding = make([config.queries, d], 1, 'queries') as tf.Variable<tf.Rank.R2>
    const stride = config.stemConvs === 3 ? 8 : 4
    const grid = config.imageSize / stride
    if (!Number.isInteger(grid)) throw new RangeError(`image size ${config.imageSize} is not divisible by the stem's stride ${stride}`)
    this.positions = tf.tensor2d(sinCosPositions(grid, d), [grid * grid, d])
    const extra = pretrainedEncoder ? Object.keys(pretrainedEncoder).filter((k) => !used.has(k)) : []
    if (extra.length) {
      this.positions.dispose()
      fail(`pretrained encoder holds weights this model has no stem/encoder place for: ${extra.join(', ')}`)
    }
  }


  /** Fresh query embeddings drawn as the model's own (standard normal), `[queries, width]`. */
  initQueries(seed: number): tf.Tensor2D {
    return tf.randomNormal([this.config.queries, this.config.width], 0, 1, 'float32', seed) as tf.Tensor2D
  }

  /** Encoder memory `[B, tokens, d]` for images `[B, size, size, 1]` (a (size/4)² or (size/8)² grid of tokens). */
  encode(images: tf.Tensor4D): tf.Tensor3D {
    const h1 = strideTwoConv(images, d2(this.conv1), d1(this.conv1b))
    let h2 = strideTwoConv(h1, d2(this.conv2), d1(this.conv2b))
    if (this.conv3) h2 = strideTwoConv(h2, d2(this.conv3.w), d1(this.conv3.b))
    const [b, gy, gx, d] = h2.shape
    let x = tf.reshape(h2, [b, gy * gx, d]) as tf.Tensor3D
    const pos = tf.expandDims(this.positions, 0) as tf.Tensor3D
    for (const layer of this.encoder) {
      const qk = tf.add(x, pos) as tf.Tensor3D
      x = this.norm(tf.add(x, this.attend(layer.self, qk, qk, x)) as tf.Tensor3D, layer.norm1)
      x = this.norm(tf.add(x, this.ffn(layer.ffn, x)) as tf.Tensor3D, layer.norm2)
    }
    return x
  }

  /**
   * Decodes `queries` (`[n, d]`) against the images; `selfAttention` (Group DETR's grouping)
   * replaces the plain self-attention over all n queries in every decoder layer.
   */
  forward(images: tf.Tensor4D, queries: tf.Tensor2D, selfAttention?: SelfAttentionWrapper): DetrOutput {
    const memory = this.encode(images)
    const B = images.shape[0]
    const n = queries.shape[0]
    const d = this.config.width
    const memoryKeys = tf.add(memory, tf.expandDims(this.positions, 0)) as tf.Tensor3D
    const pos = tf.tile(tf.expandDims(queries, 0), [B, 1, 1]) as tf.Tensor3D
    // reference point per query (cx, cy logits), shared by every layer's box head
    const reference = tf.concat([tf.add(tf.matMul(queries, d2(this.refW)), this.refB), tf.zeros([n, 2])], 1)
    let x = tf.zeros([B, n, d]) as tf.Tensor3D
    const layers: DetrPrediction[] = []
    for (const layer of this.decoder) {
      const attend = (content: tf.Tensor3D, p: tf.Tensor3D): tf.Tensor3D => {
        const qk = tf.add(content, p) as tf.Tensor3D
        return this.attend(layer.self, qk, qk, content)
      }
      x = this.norm(tf.add(x, selfAttention ? selfAttention(attend, x, pos) : attend(x, pos)) as tf.Tensor3D, layer.norm1)
      x = this.norm(tf.add(x, this.attend(layer.cross, tf.add(x, pos) as tf.Tensor3D, memoryKeys, memory)) as tf.Tensor3D, layer.norm2)
      x = this.norm(tf.add(x, this.ffn(layer.ffn, x)) as tf.Tensor3D, layer.norm3)
      const h = this.norm(x, this.outNorm)
      const logits = dense3d(h, d2(this.classW), d1(this.classB))
      let z = h
      for (const [i, l] of this.box.entries()) {
        z = dense3d(z, d2(l.w), d1(l.b))
        if (i < this.box.length - 1) z = tf.relu(z) as tf.Tensor3D
      }
      layers.push({ logits, boxes: tf.sigmoid(tf.add(z, reference)) as tf.Tensor3D })
    }
    return { layers }
  }

  /** Multi-head attention; heads from column slices of the projections (no 4-D transposes). */
  private attend(w: Attention, q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
    const d = this.config.width
    const heads = this.config.heads
    const dh = d / heads
    const qp = dense3d(q, d2(w.wq), d1(w.bq))
    const kp = dense3d(k, d2(w.wk), d1(w.bk))
    const vp = dense3d(v, d2(w.wv), d1(w.bv))
    const outs: tf.Tensor3D[] = []
    for (let h = 0; h < heads; h++) {
      const part = (x: tf.Tensor3D) => (heads === 1 ? x : (tf.slice(x, [0, 0, h * dh], [-1, -1, dh]) as tf.Tensor3D))
      const weights = tf.softmax(tf.mul(tf.matMul(part(qp), part(kp), false, true), 1 / Math.sqrt(dh)))
      outs.push(tf.matMul(weights, part(vp)) as tf.Tensor3D)
    }
    return dense3d(heads === 1 ? outs[0]! : (tf.concat(outs, 2) as tf.Tensor3D), d2(w.wo), d1(w.bo))
  }

  private ffn(w: Ffn, x: tf.Tensor3D): tf.Tensor3D {
    return dense3d(tf.relu(dense3d(x, d2(w.w1), d1(w.b1))) as tf.Tensor3D, d2(w.w2), d1(w.b2))
  }

  private norm(x: tf.Tensor3D, w: Norm): tf.Tensor3D {
    const { mean, variance } = tf.moments(x, -1, true)
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), w.gamma), w.beta) as tf.Tensor3D
  }

  dispose(): void {
    for (const v of [...this.variables, ...this.frozenVariables]) v.dispose()
    this.positions.dispose()
  }
}
