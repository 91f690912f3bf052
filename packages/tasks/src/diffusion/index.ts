export { shapesDiffusion, shapesDiffusionOptionsSchema, type ShapesDiffusionOptions, type ShapesDiffusionBatch, type ShapesDiffusionOutput } from './shapes-diffusion.js'
export { drawShape, shapeSet, randomShapes, SHAPE_CLASSES, SHAPE_IMAGE_SIZE, type ShapeClass } from './shapes.js'
export { Sit, type SitConfig, type SitOutput } from './sit.js'
export { eulerSample } from './sampler.js'
export { frechetDistance, gaussianStats, symmetricEigen } from './frechet.js'
export { linearProbeAccuracy } from './linear-probe.js'
export {
  loadShapeTeacher,
  randomShapeTeacher,
  initShapeVit,
  shapeVitForward,
  SHAPE_VIT_CONFIG,
  SHAPE_TEACHER_DIR,
  type FrozenEncoder,
  type ShapeVitConfig,
} from './teacher.js'
export { loadShapeEvaluator, buildShapeEvaluator, SHAPE_EVALUATOR_DIR, EVALUATOR_FEATURE_LAYER, type ShapeEvaluator } from './evaluator.js'
export { directoryHandler, saveNamedWeights, loadNamedWeights } from './weights-io.js'
export { patchify, unpatchify } from './patches.js'
