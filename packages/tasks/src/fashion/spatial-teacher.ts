import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { createRng } from '@converge/core'
import type { FrozenEncoder } from '../diffusion/teacher.js'
import { loadNamedWeights } from '../diffusion/weights-io.js'
import { conv2x2Stride2, conv3x3 } from './conv-ops.js'

/** Shape of the spatial teacher: a conv net whose last map, `grid`×`grid`×`width`, gives the tokens. */
export interface SpatialTeacherConfig {
  readonly imageSize: number
  /** Channels of the 3×3 conv at full resolution and of the one at half resolution. */
  readonly channels: readonly [number, number]
  /** Channels of the token map (C). */
  readonly width: number
  readonly classes: number
}

/** 16×16 → 4×4×64: 16 tokens, the grid of a patch-4 SiT on 16×16 images. */
export const SPATIAL_TEACHER_CONFIG: SpatialTeacherConfig = { imageSize: 16, channels: [16, 32], width: 64, classes: 10 }

/** Where the committed Fashion-MNIST teacher lives (written by `packages/tasks/scripts/train-fashion-nets.ts`). */
export const FASHION_TEACHER_DIR = fileURLToPath(new URL('./nets/teacher/', import.meta.url))

/** Weight names and shapes. */
export function spatialTeacherShapes(c: SpatialTeacherConfig): Record<string, number[]> {
  const [c1, c2] = c.channels
  return {
    'conv1/w': [9, c1], 'conv1/b': [c1],
    'down1/w': [4 * c1, c2], 'down1/b': [c2],
    'conv2/w': [9 * c2, c2], 'conv2/b': [c2],
    'down2/w': [4 * c2, c.width], 'down2/b': [c.width],
    'head/w': [c.width, c.classes], 'head/b': [c.classes],
  }
}

/** Seeded initial weights: He-normal matrices (fan-in), zero biases. */
export function initSpatialTeacher(c: SpatialTeacherConfig, seed: number): tf.NamedTensorMap {
  const rng = createRng(`spatial-teacher:${seed}`)
  const out: tf.NamedTensorMap = {}
  for (const [name, shape] of Object.entries(spatialTeacherShapes(c))) {
    out[name] = shape.length === 1 ? tf.zeros(shape) : tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]!), 'float32', rng.opSeed())
  }
  return out
}

/**
 * The teacher's forward on `[B, 16, 16, 1]` images in [−1, 1]: 3×3 conv → 2×2/2 conv → 3×3 conv →
 * 2×2/2 conv (ReLU after each but the last). The last conv's output is the token map
 * `[B, grid, grid, width]` (linear, before pooling); the logits come from its ReLU, mean-pooled.
 */
export function spatialTeacherForward(w: tf.NamedTensorMap, c: SpatialTeacherConfig, images: tf.Tensor): { map: tf.Tensor4D; tokens: tf.Tensor3D; logits: tf.Tensor2D } {
  const g = (name: string) => {
    const t = w[name]
    if (!t) throw new Error(`spatial teacher weights lack "${name}"`)
    return t
  }
  const x = images as tf.Tensor4D
  let h = tf.relu(conv3x3(x, g('conv1/w') as tf.Tensor2D, g('conv1/b') as tf.Tensor1D)) as tf.Tensor4D
  h = tf.relu(conv2x2Stride2(h, g('down1/w') as tf.Tensor2D, g('down1/b') as tf.Tensor1D)) as tf.Tensor4D
  h = tf.relu(conv3x3(h, g('conv2/w') as tf.Tensor2D, g('conv2/b') as tf.Tensor1D)) as tf.Tensor4D
  const map = conv2x2Stride2(h, g('down2/w') as tf.Tensor2D, g('down2/b') as tf.Tensor1D)
  const [b, gy, gx, d] = map.shape
  const tokens = tf.reshape(map, [b, gy * gx, d]) as tf.Tensor3D
  const logits = tf.add(tf.matMul(tf.mean(tf.relu(tokens), 1), g('head/w')), g('head/b')) as tf.Tensor2D
  return { map, tokens, logits }
}

function checkConfig(topology: Record<string, unknown>, dir: string): SpatialTeacherConfig {
  const c = topology.config as Partial<SpatialTeacherConfig> | undefined
  const ok =
    topology.kind === 'spatial-conv-teacher' &&
    c !== undefined &&
    typeof c.imageSize === 'number' &&
    typeof c.width === 'number' &&
    typeof c.classes === 'number' &&
    Array.isArray(c.channels) &&
    c.channels.length === 2 &&
    c.channels.every((v) => typeof v === 'number')
  if (!ok) throw new Error(`${dir}model.json does not describe a spatial-conv-teacher`)
  return c as SpatialTeacherConfig
}

function encoderOf(weights: tf.NamedTensorMap, c: SpatialTeacherConfig): FrozenEncoder {
  const grid = c.imageSize / 4
  return {
    tokens: { tokens: grid * grid, width: c.width },
    // plain tensors, not variables: no gradient ever reaches them
    encode: (images) => tf.tidy(() => spatialTeacherForward(weights, c, images).tokens),
    dispose: () => tf.dispose(Object.values(weights)),
  }
}

/**
 * Loads the committed Fashion-MNIST teacher (or one from `dir`): a frozen conv net trained to
 * classify 16×16 Fashion-MNIST with a per-token invariance term between augmented views; its
 * 4×4×64 map before pooling gives 16 tokens of width 64, row-major over the grid (the token order
 * of `patchify`).
 */
export async function loadFashionTeacher(dir = FASHION_TEACHER_DIR): Promise<FrozenEncoder> {
  const { topology, weights } = await loadNamedWeights(dir)
  const config = checkConfig(topology, dir.endsWith('/') ? dir : `${dir}/`)
  for (const [name, shape] of Object.entries(spatialTeacherShapes(config))) {
    const t = weights[name]
    if (!t || t.shape.join() !== shape.join()) {
      tf.dispose(Object.values(weights))
      throw new Error(`teacher weights in ${dir} do not match the topology: "${name}" should be [${shape}], got ${t ? `[${t.shape}]` : 'nothing'}`)
    }
  }
  return encoderOf(weights, config)
}

/** The same conv net at seeded random init, frozen: the negative-control teacher. */
export function randomFashionTeacher(seed = 1, config: SpatialTeacherConfig = SPATIAL_TEACHER_CONFIG): FrozenEncoder {
  return encoderOf(initSpatialTeacher(config, seed), config)
}
