export { fashionDetection, fashionDetectionOptionsSchema, type FashionDetectionOptions, type FashionDetectionOutput } from './fashion-detection.js'
export { drawFashionScene, drawFashionScenes, type FashionSceneOptions } from './fashion-scenes.js'
