export {
  fashionClassification,
  fashionClassificationOptionsSchema,
  type FashionClassificationOptions,
  type FashionClassificationBatch,
  type FashionClassificationOutput,
} from './fashion-classification.js'
export { cnnNet, mlpNet, variableMaker, type ClassifierNet } from './classifier-nets.js'
export { fashionDetection, fashionDetectionOptionsSchema, FASHION_DETECTION_ENCODER_DIR, type FashionDetectionOptions, type FashionDetectionOutput } from './fashion-detection.js'
export { drawFashionScene, drawFashionScenes, type FashionSceneOptions } from './fashion-scenes.js'
export { unitScaleImages, gatherImages, augmentView } from './fashion-images.js'
export {
  loadFashionTeacher,
  randomFashionTeacher,
  initSpatialTeacher,
  spatialTeacherForward,
  spatialTeacherShapes,
  SPATIAL_TEACHER_CONFIG,
  FASHION_TEACHER_DIR,
  type SpatialTeacherConfig,
} from './spatial-teacher.js'
export { probeTokens, type TokenProbe } from './token-probe.js'
export { measureTeacherGate, teacherGate, TEACHER_GATE } from './teacher-gate.js'
export { conv3x3, conv2x2Stride2 } from './conv-ops.js'
export {
  loadFashionEvaluator,
  initFashionEvaluator,
  evaluatorForward,
  fashionEvaluatorShapes,
  FASHION_EVALUATOR_CONFIG,
  FASHION_EVALUATOR_DIR,
  type FashionEvaluator,
  type FashionEvaluatorConfig,
} from './fashion-evaluator.js'
export { fashionDiffusion, fashionDiffusionOptionsSchema, type FashionDiffusionOptions, type FashionDiffusionBatch, type FashionDiffusionOutput } from './fashion-diffusion.js'
