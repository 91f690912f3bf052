/**
 * Writes the small Fashion-MNIST fixture the unit tests read: the first 20 training and the first
 * 10 test images of each class, in file order, as gzip-compressed IDX files with the original
 * names (so the loader reads the fixture exactly as it reads the full set).
 *
 *   npx tsx packages/tasks/scripts/make-fashion-mnist-fixture.ts [source folder]
 *
 * The source folder defaults to what `loadFashionMnist` finds (Debian's dataset-fashion-mnist).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { encodeIdxUint8 } from '../src/data/idx.js'
import { FASHION_MNIST_FILES, loadFashionMnist } from '../src/data/fashion-mnist.js'
import type { LabelledImages } from '../src/data/labelled-images.js'

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/fashion-mnist')
const TRAIN_PER_CLASS = 20
const TEST_PER_CLASS = 10

/** Indices of the first `perClass` images of each class, in file order. */
function firstPerClass(set: LabelledImages, perClass: number): number[] {
  const taken = new Array<number>(set.classes).fill(0)
  const picked: number[] = []
  for (let i = 0; i < set.count && picked.length < perClass * set.classes; i++) {
    const label = set.labels[i] as number
    if ((taken[label] as number) < perClass) {
      taken[label] = (taken[label] as number) + 1
      picked.push(i)
    }
  }
  return picked
}

function write(set: LabelledImages, perClass: number, imagesName: string, labelsName: string): void {
  const picked = firstPerClass(set, perClass)
  const per = set.height * set.width
  const images = new Uint8Array(picked.length * per)
  const labels = new Uint8Array(picked.length)
  picked.forEach((src, i) => {
    images.set(set.images.subarray(src * per, (src + 1) * per) as Uint8Array, i * per)
    labels[i] = set.labels[src] as number
  })
  writeFileSync(join(OUT_DIR, `${imagesName}.gz`), gzipSync(encodeIdxUint8([picked.length, set.height, set.width], images), { level: 9 }))
  writeFileSync(join(OUT_DIR, `${labelsName}.gz`), gzipSync(encodeIdxUint8([picked.length], labels), { level: 9 }))
  console.log(`${imagesName}: ${picked.length} images (source indices ${picked[0]}..${picked[picked.length - 1]})`)
}

const data = loadFashionMnist(process.argv[2] ? { dir: process.argv[2] } : {})
mkdirSync(OUT_DIR, { recursive: true })
write(data.train, TRAIN_PER_CLASS, FASHION_MNIST_FILES.trainImages, FASHION_MNIST_FILES.trainLabels)
write(data.test, TEST_PER_CLASS, FASHION_MNIST_FILES.testImages, FASHION_MNIST_FILES.testLabels)
console.log(`wrote ${OUT_DIR} from ${data.dir}`)
