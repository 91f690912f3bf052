import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { directoryHandler } from './weights-io.js'

/** Where the committed evaluator lives (written by `packages/tasks/scripts/train-shape-nets.ts`). */
export const SHAPE_EVALUATOR_DIR = fileURLToPath(new URL('./nets/evaluator/', import.meta.url))

/** Name of the evaluator's feature layer (its output feeds the Fréchet distance). */
export const EVALUATOR_FEATURE_LAYER = 'features'

/**
 * The evaluator: a small conv net (a different architecture and seed from the teacher) that
 * classifies shapes; its penultimate dense layer gives the features of the Fréchet distance.
 */
export function buildShapeEvaluator(seed: number, classes = 6): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k })
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, activation: 'relu', kernelInitializer: init(3), name: EVALUATOR_FEATURE_LAYER }),
      tf.layers.dense({ units: classes, kernelInitializer: init(4), name: 'logits' }),
    ],
  })
}

/** The loaded evaluator: features and class logits of images. */
export interface ShapeEvaluator {
  readonly featureWidth: number
  /** `[n, size, size, 1]` images → `[n, featureWidth]` features and `[n, classes]` logits. */
  run(images: tf.Tensor): { features: tf.Tensor2D; logits: tf.Tensor2D }
  dispose(): void
}

/** Loads the committed evaluator (or one from `dir`) through `tf.loadLayersModel`. */
export async function loadShapeEvaluator(dir = SHAPE_EVALUATOR_DIR): Promise<ShapeEvaluator> {
  const model = await tf.loadLayersModel(directoryHandler(dir))
  const featureLayer = model.layers.find((l) => l.name === EVALUATOR_FEATURE_LAYER)
  if (!featureLayer) {
    model.dispose()
    throw new Error(`evaluator in ${dir} has no "${EVALUATOR_FEATURE_LAYER}" layer`)
  }
  const both = tf.model({ inputs: model.inputs, outputs: [featureLayer.output as tf.SymbolicTensor, model.outputs[0]!] })
  return {
    featureWidth: (featureLayer.outputShape as number[])[1]!,
    run: (images) => {
      const [features, logits] = both.predict(images) as [tf.Tensor2D, tf.Tensor2D]
      return { features, logits }
    },
    dispose: () => model.dispose(),
  }
}
