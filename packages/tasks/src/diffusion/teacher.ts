import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { createRng, type TokenShape } from '@converge/core'
import { dense3d, patchify, selfAttention, sinCosPositions } from './patches.js'
import { loadNamedWeights } from './weights-io.js'

/** A frozen encoder whose per-patch tokens a representation-alignment trick targets. */
export interface FrozenEncoder {
  /** Token layout of `encode`'s output (tokens must match the denoiser's patch grid). */
  readonly tokens: TokenShape
  /** `[batch, size, size, 1]` clean images → `[batch, tokens, width]` features. No variables, no gradient. */
  encode(images: tf.Tensor): tf.Tensor3D
  /** Frees the encoder's weights. */
  dispose(): void
}

/** The teacher ViT's shape; the committed weights use `SHAPE_VIT_CONFIG`. */
export interface ShapeVitConfig {
  readonly imageSize: number
  readonly patch: number
  readonly width: number
  readonly depth: number
  readonly heads: number
  readonly classes: number
}

export const SHAPE_VIT_CONFIG: ShapeVitConfig = { imageSize: 16, patch: 4, width: 32, depth: 2, heads: 2, classes: 6 }

/** Where the committed teacher weights live (written by `packages/tasks/scripts/train-shape-nets.ts`). */
export const SHAPE_TEACHER_DIR = fileURLToPath(new URL('./nets/teacher/', import.meta.url))

/** Weight names and shapes of a teacher ViT. */
function weightShapes(c: ShapeVitConfig): Record<string, number[]> {
  const d = c.width
  const shapes: Record<string, number[]> = { 'patch/w': [c.patch * c.patch, d], 'patch/b': [d] }
  for (let i = 1; i <= c.depth; i++) {
    Object.assign(shapes, {
      [`block${i}/ln1/g`]: [d], [`block${i}/ln1/b`]: [d], [`block${i}/qkv/w`]: [d, 3 * d], [`block${i}/qkv/b`]: [3 * d],
      [`block${i}/proj/w`]: [d, d], [`block${i}/proj/b`]: [d], [`block${i}/ln2/g`]: [d], [`block${i}/ln2/b`]: [d],
      [`block${i}/fc1/w`]: [d, 2 * d], [`block${i}/fc1/b`]: [2 * d], [`block${i}/fc2/w`]: [2 * d, d], [`block${i}/fc2/b`]: [d],
    })
  }
  Object.assign(shapes, { 'norm/g': [d], 'norm/b': [d], 'head/w': [d, c.classes], 'head/b': [c.classes] })
  return shapes
}

/** Seeded initial weights of a teacher ViT: Xavier-normal matrices, unit norms, zero biases. */
export function initShapeVit(c: ShapeVitConfig, seed: number): tf.NamedTensorMap {
  const rng = createRng(`shape-vit:${seed}`)
  const out: tf.NamedTensorMap = {}
  for (const [name, shape] of Object.entries(weightShapes(c))) {
    if (name.endsWith('/g')) out[name] = tf.ones(shape)
    else if (shape.length === 1) out[name] = tf.zeros(shape)
    else out[name] = tf.randomNormal(shape, 0, Math.sqrt(2 / (shape[0]! + shape[1]!)), 'float32', rng.opSeed())
  }
  return out
}

function affineNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true)
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6))), g), b)
}

/**
 * The teacher ViT forward: patch embedding + sin-cos positions, pre-norm blocks, final LayerNorm.
 * Returns the final-norm patch tokens (DINOv2's `x_norm_patchtokens` analogue) and class logits
 * from their mean.
 */
export function shapeVitForward(w: tf.NamedTensorMap, c: ShapeVitConfig, images: tf.Tensor): { tokens: tf.Tensor3D; logits: tf.Tensor2D } {
  const g = (name: string) => {
    const t = w[name]
    if (!t) throw new Error(`teacher weights lack "${name}"`)
    return t
  }
  const grid = c.imageSize / c.patch
  const positions = tf.tensor2d(sinCosPositions(grid, c.width), [grid * grid, c.width])
  let h = tf.add(dense3d(patchify(images, c.patch), g('patch/w') as tf.Tensor2D, g('patch/b') as tf.Tensor1D), positions) as tf.Tensor3D
  for (let i = 1; i <= c.depth; i++) {
    const a = affineNorm(h, g(`block${i}/ln1/g`), g(`block${i}/ln1/b`)) as tf.Tensor3D
    h = tf.add(h, dense3d(selfAttention(a, g(`block${i}/qkv/w`) as tf.Tensor2D, g(`block${i}/qkv/b`) as tf.Tensor1D, c.heads), g(`block${i}/proj/w`) as tf.Tensor2D, g(`block${i}/proj/b`) as tf.Tensor1D)) as tf.Tensor3D
    const m = dense3d(affineNorm(h, g(`block${i}/ln2/g`), g(`block${i}/ln2/b`)) as tf.Tensor3D, g(`block${i}/fc1/w`) as tf.Tensor2D, g(`block${i}/fc1/b`) as tf.Tensor1D)
    h = tf.add(h, dense3d(tf.relu(m), g(`block${i}/fc2/w`) as tf.Tensor2D, g(`block${i}/fc2/b`) as tf.Tensor1D)) as tf.Tensor3D
  }
  const tokens = affineNorm(h, g('norm/g'), g('norm/b')) as tf.Tensor3D
  const logits = tf.add(tf.matMul(tf.mean(tokens, 1), g('head/w')), g('head/b')) as tf.Tensor2D
  positions.dispose()
  return { tokens, logits }
}

function checkConfig(topology: Record<string, unknown>, dir: string): ShapeVitConfig {
  const c = topology.config as Partial<ShapeVitConfig> | undefined
  const keys: (keyof ShapeVitConfig)[] = ['imageSize', 'patch', 'width', 'depth', 'heads', 'classes']
  if (topology.kind !== 'shape-vit' || !c || keys.some((k) => typeof c[k] !== 'number')) throw new Error(`${dir}model.json does not describe a shape-vit teacher`)
  return c as ShapeVitConfig
}

function encoderOf(weights: tf.NamedTensorMap, c: ShapeVitConfig): FrozenEncoder {
  const grid = c.imageSize / c.patch
  return {
    tokens: { tokens: grid * grid, width: c.width },
    // the weights are plain tensors, not variables: no gradient ever reaches them
    encode: (images) => tf.tidy(() => shapeVitForward(weights, c, images).tokens),
    dispose: () => tf.dispose(Object.values(weights)),
  }
}

/** Loads the committed teacher (or one from `dir`): a frozen ViT trained to classify shapes, invariant to small shifts and noise. */
export async function loadShapeTeacher(dir = SHAPE_TEACHER_DIR): Promise<FrozenEncoder> {
  const { topology, weights } = await loadNamedWeights(dir)
  const config = checkConfig(topology, dir.endsWith('/') ? dir : `${dir}/`)
  const expected = weightShapes(config)
  for (const [name, shape] of Object.entries(expected)) {
    const t = weights[name]
    if (!t || t.shape.join() !== shape.join()) {
      tf.dispose(Object.values(weights))
      throw new Error(`teacher weights in ${dir} do not match the topology: "${name}" should be [${shape}], got ${t ? `[${t.shape}]` : 'nothing'}`)
    }
  }
  return encoderOf(weights, config)
}

/** The same ViT at seeded random init, frozen: the negative-control teacher. */
export function randomShapeTeacher(seed = 1, config: ShapeVitConfig = SHAPE_VIT_CONFIG): FrozenEncoder {
  return encoderOf(initShapeVit(config, seed), config)
}
