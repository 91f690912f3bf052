import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { createRng } from '@converge/core'
import { loadNamedWeights } from '../diffusion/weights-io.js'
import { conv2x2Stride2, conv3x3 } from './conv-ops.js'

/** Shape of the Fashion-MNIST evaluator: two conv stages, a flattened 4×4 map, a feature layer, logits. */
export interface FashionEvaluatorConfig {
  readonly imageSize: number
  readonly channels: readonly [number, number]
  /** Width of the feature layer (the Fréchet distance's space). */
  readonly features: number
  readonly classes: number
}

export const FASHION_EVALUATOR_CONFIG: FashionEvaluatorConfig = { imageSize: 16, channels: [12, 24], features: 32, classes: 10 }

/** Where the committed evaluator lives (written by `packages/tasks/scripts/train-fashion-nets.ts`). */
export const FASHION_EVALUATOR_DIR = fileURLToPath(new URL('./nets/evaluator/', import.meta.url))

/** Weight names and shapes. */
export function fashionEvaluatorShapes(c: FashionEvaluatorConfig): Record<string, number[]> {
  const [c1, c2] = c.channels
  const flat = (c.imageSize / 4) ** 2 * c2
  return {
    'conv1/w': [9, c1], 'conv1/b': [c1],
    'down1/w': [4 * c1, c1], 'down1/b': [c1],
    'conv2/w': [9 * c1, c2], 'conv2/b': [c2],
    'down2/w': [4 * c2, c2], 'down2/b': [c2],
    'features/w': [flat, c.features], 'features/b': [c.features],
    'logits/w': [c.features, c.classes], 'logits/b': [c.classes],
  }
}

/** Seeded initial weights: He-normal matrices, zero biases. */
export function initFashionEvaluator(c: FashionEvaluatorConfig, seed: number): tf.NamedTensorMap {
  const rng = createRng(`fashion-evaluator:${seed}`)
  const out: tf.NamedTensorMap = {}
  for (const [name, shape] of Object.entries(fashionEvaluatorShapes(c))) {
    out[name] = shape.length === 1 ? tf.zeros(shape) : tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]!), 'float32', rng.opSeed())
  }
  return out
}

/** Forward on `[B, 16, 16, 1]` images in [−1, 1]: features (after ReLU) `[B, features]` and logits. */
export function evaluatorForward(w: tf.NamedTensorMap, c: FashionEvaluatorConfig, images: tf.Tensor): { features: tf.Tensor2D; logits: tf.Tensor2D } {
  const g = (name: string) => {
    const t = w[name]
    if (!t) throw new Error(`evaluator weights lack "${name}"`)
    return t
  }
  let h = tf.relu(conv3x3(images as tf.Tensor4D, g('conv1/w') as tf.Tensor2D, g('conv1/b') as tf.Tensor1D)) as tf.Tensor4D
  h = tf.relu(conv2x2Stride2(h, g('down1/w') as tf.Tensor2D, g('down1/b') as tf.Tensor1D)) as tf.Tensor4D
  h = tf.relu(conv3x3(h, g('conv2/w') as tf.Tensor2D, g('conv2/b') as tf.Tensor1D)) as tf.Tensor4D
  h = tf.relu(conv2x2Stride2(h, g('down2/w') as tf.Tensor2D, g('down2/b') as tf.Tensor1D)) as tf.Tensor4D
  const flat = tf.reshape(h, [h.shape[0], -1])
  const features = tf.relu(tf.add(tf.matMul(flat, g('features/w')), g('features/b'))) as tf.Tensor2D
  const logits = tf.add(tf.matMul(features, g('logits/w')), g('logits/b')) as tf.Tensor2D
  return { features, logits }
}

/** The loaded evaluator: features and class logits of images (the same interface as the shapes evaluator). */
export interface FashionEvaluator {
  readonly featureWidth: number
  run(images: tf.Tensor): { features: tf.Tensor2D; logits: tf.Tensor2D }
  dispose(): void
}

/** Loads the committed evaluator (or one from `dir`): a conv classifier of 16×16 Fashion-MNIST trained apart from the teacher. */
export async function loadFashionEvaluator(dir = FASHION_EVALUATOR_DIR): Promise<FashionEvaluator> {
  const { topology, weights } = await loadNamedWeights(dir)
  const c = topology.config as FashionEvaluatorConfig | undefined
  if (topology.kind !== 'fashion-evaluator' || !c || !Array.isArray(c.channels) || typeof c.features !== 'number') {
    tf.dispose(Object.values(weights))
    throw new Error(`${dir} does not hold a fashion-evaluator (model.json kind "${String(topology.kind)}")`)
  }
  for (const [name, shape] of Object.entries(fashionEvaluatorShapes(c))) {
    const t = weights[name]
    if (!t || t.shape.join() !== shape.join()) {
      tf.dispose(Object.values(weights))
      throw new Error(`evaluator weights in ${dir} do not match the topology: "${name}" should be [${shape}], got ${t ? `[${t.shape}]` : 'nothing'}`)
    }
  }
  return {
    featureWidth: c.features,
    run: (images) => tf.tidy(() => evaluatorForward(weights, c, images)),
    dispose: () => tf.dispose(Object.values(weights)),
  }
}
