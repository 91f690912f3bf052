/**
 * Fashion-MNIST, the real data set: an MLP and the small CNN trained to 85% validation accuracy,
 * with seeded augmentation on the CNN. Needs the data (`sudo apt-get install dataset-fashion-mnist`,
 * or the four original files in a folder named by $CONVERGE_FASHION_MNIST_DIR).
 *
 *   npx tsx examples/fashion-mnist.ts [maxSteps]        (default 600; the MLP takes seconds on WASM)
 */
import { train } from '@converge/core'
import { fashionClassification } from '@converge/tasks'
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '@converge/tasks/data'

const maxSteps = Number(process.argv[2] ?? 600)
const data = loadFashionMnist()
console.log(`Fashion-MNIST from ${data.dir}: ${data.train.count} train, ${data.test.count} test images; classes ${FASHION_MNIST_CLASSES.join(', ')}`)

for (const task of [
  fashionClassification({ model: 'mlp', targetAccuracy: 0.85 }),
  // The CNN on area-averaged 16×16 inputs, shifted by up to 2 px and flipped at random (seeded).
  fashionClassification({ model: 'cnn', imageSize: 16, augment: { cropPadding: 2, flip: true }, learningRate: 3e-3, targetAccuracy: 0.85 }),
]) {
  const result = await train({ task, seed: 1, maxSteps, evalEvery: 50 })
  const last = result.history.at(-1)!.metrics
  console.log(
    `${task.options.model}: validation accuracy ${last.accuracy!.toFixed(3)} after ${result.steps} steps; ` +
      `85% reached at step ${result.stepsToTarget ?? '(not reached)'}; ${(result.trainMs / result.steps).toFixed(1)} ms/step on ${result.backend.name}`,
  )
}
