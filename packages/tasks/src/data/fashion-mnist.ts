import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConvergeError, parseOptions } from '@converge/core'
import { z } from 'zod'
import { readIdxFile } from './idx.js'
import { checkLabelledImages, type LabelledImages } from './labelled-images.js'

/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf, Zalando Research, 2017; MIT licence): 28×28 grey images
 * of clothing in 10 classes, 60,000 for training and 10,000 for testing, in the original IDX files.
 * Nothing downloads at run time: the files come from Debian's `dataset-fashion-mnist` package or
 * from a folder the user names.
 */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'
/** Environment variable naming a folder that holds the four files (used when no `dir` option is given). */
export const FASHION_MNIST_DIR_ENV = 'CONVERGE_FASHION_MNIST_DIR'
/** The one command that installs the data on Debian and Ubuntu. */
export const FASHION_MNIST_INSTALL_COMMAND = 'sudo apt-get install dataset-fashion-mnist'

/** The file names of the original distribution (gzip-compressed; uncompressed copies without `.gz` are read too). */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const

export const fashionMnistOptionsSchema = z
  .object({
    /** Folder holding the four IDX files; default: $CONVERGE_FASHION_MNIST_DIR, else Debian's folder. */
    dir: z.string().min(1).optional(),
  })
  .strict()

export type FashionMnistOptions = z.input<typeof fashionMnistOptionsSchema>

/** The original split: `train` (60,000 images) and `test` (10,000), pixels as bytes 0..255. */
export interface FashionMnist {
  readonly train: LabelledImages
  readonly test: LabelledImages
  /** The folder the files were read from. */
  readonly dir: string
}

function fileIn(dir: string, name: string): string | null {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) if (existsSync(candidate)) return candidate
  return null
}

function hasAllFiles(dir: string): boolean {
  return Object.values(FASHION_MNIST_FILES).every((name) => fileIn(dir, name) !== null)
}

/**
 * The folder to read: the `dir` option if given, else $CONVERGE_FASHION_MNIST_DIR if set, else
 * Debian's folder. A folder that was named explicitly is the only one looked in (no silent
 * fallback to another copy). Throws, saying where it looked and how to get the files, when the
 * chosen folder lacks any of the four files.
 */
export function findFashionMnist(options: FashionMnistOptions = {}, env: NodeJS.ProcessEnv = process.env): string {
  const o = parseOptions(fashionMnistOptionsSchema, options, 'fashion-mnist options')
  const fromEnv = env[FASHION_MNIST_DIR_ENV]
  const [dir, why] = o.dir !== undefined ? [o.dir, 'the dir option'] : fromEnv ? [fromEnv, `$${FASHION_MNIST_DIR_ENV}`] : [DEBIAN_FASHION_MNIST_DIR, "Debian's dataset-fashion-mnist folder"]
  const abs = resolve(dir)
  if (hasAllFiles(abs)) return abs
  const missing = Object.values(FASHION_MNIST_FILES).filter((name) => fileIn(abs, name) === null)
  throw new ConvergeError(
    `Fashion-MNIST not found: looked in ${abs} (${why}), which lacks ${missing.map((m) => `${m}.gz`).join(', ')}. ` +
      `Install it with \`${FASHION_MNIST_INSTALL_COMMAND}\` (files go to ${DEBIAN_FASHION_MNIST_DIR}), ` +
      `or put the four original files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) ` +
      `in a folder and name it with the dir option or $${FASHION_MNIST_DIR_ENV}.`,
  )
}

function readSplit(dir: string, imagesName: string, labelsName: string): LabelledImages {
  const imagesPath = fileIn(dir, imagesName) as string
  const labelsPath = fileIn(dir, labelsName) as string
  const images = readIdxFile(imagesPath)
  const labels = readIdxFile(labelsPath)
  if (images.dims.length !== 3 || !(images.data instanceof Uint8Array)) throw new ConvergeError(`${imagesPath}: expected a ubyte array [count, height, width], got dims [${images.dims.join(', ')}]`)
  if (labels.dims.length !== 1 || !(labels.data instanceof Uint8Array)) throw new ConvergeError(`${labelsPath}: expected a ubyte array [count], got dims [${labels.dims.join(', ')}]`)
  const [count, height, width] = images.dims as [number, number, number]
  if (labels.dims[0] !== count) throw new ConvergeError(`${labelsPath}: ${labels.dims[0]} labels for ${count} images in ${imagesPath}`)
  return checkLabelledImages({ images: images.data, labels: labels.data, count, height, width, channels: 1, classes: FASHION_MNIST_CLASSES.length }, imagesPath)
}

// Loaded sets by folder: the bench creates a task once per run, and the files never change under it.
const loaded = new Map<string, FashionMnist>()

/**
 * Loads Fashion-MNIST's train and test splits from the folder `findFashionMnist` picks (read once
 * per process and folder; the arrays are shared, so treat them as read-only).
 */
export function loadFashionMnist(options: FashionMnistOptions = {}): FashionMnist {
  const dir = findFashionMnist(options)
  let set = loaded.get(dir)
  if (!set) {
    const train = readSplit(dir, FASHION_MNIST_FILES.trainImages, FASHION_MNIST_FILES.trainLabels)
    const test = readSplit(dir, FASHION_MNIST_FILES.testImages, FASHION_MNIST_FILES.testLabels)
    set = { train, test, dir }
    loaded.set(dir, set)
  }
  return set
}
