/**
 * `@converge/tasks/data`: reading real data sets and turning them into seeded batches for a task.
 */
export { parseIdx, readIdxFile, encodeIdxUint8, type IdxArray } from './idx.js'
export { checkLabelledImages, imageSize, type LabelledImages } from './labelled-images.js'
export {
  loadFashionMnist,
  findFashionMnist,
  fashionMnistOptionsSchema,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  FASHION_MNIST_DIR_ENV,
  FASHION_MNIST_INSTALL_COMMAND,
  DEBIAN_FASHION_MNIST_DIR,
  type FashionMnist,
  type FashionMnistOptions,
} from './fashion-mnist.js'
export { EpochSampler } from './epoch-sampler.js'
export { splitIndices, splitImages, subset, type SplitOptions, type SplitIndices, type SplitSize } from './split.js'
export { resizeArea, padImages } from './resize.js'
export { augmentInPlace, type Augmentation } from './augment.js'
export { imageBatch, wholeSet, oneHot, type ImageBatch, type ImageBatchOptions, type PixelScale } from './image-batch.js'
export { fromTfDataset, toTfDataset, type TfImageElement } from './tf-data.js'
export { loadTextCorpus, encodeText, normalizeProse, TEXT_CORPORA, type TextCorpus, type TextCorpusName } from './text-corpus.js'
