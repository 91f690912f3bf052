export {
  fashionClassification,
  fashionClassificationOptionsSchema,
  type FashionClassificationOptions,
  type FashionClassificationBatch,
  type FashionClassificationOutput,
} from './fashion-classification.js'
export { cnnNet, mlpNet, variableMaker, type ClassifierNet } from './classifier-nets.js'
