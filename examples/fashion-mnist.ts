/**
 * Fashion-MNIST, the real data set: an MLP trained to 85% validation accuracy; with --cnn, the
 * small CNN too, with seeded augmentation. Needs the data (`sudo apt-get install dataset-fashion-mnist`,
 * or the four original files in a folder named by $CONVERGE_FASHION_MNIST_DIR).
 *
 *   npx tsx examples/fashion-mnist.ts [maxSteps] [--cnn]   (default 2000, stopping at the target: the MLP takes about a minute on WASM;
 *   the CNN's conv gradients run on tfjs's plain JS kernels today, seconds per step)
 */
import { train } from '@converge/core'
import { fashionClassification } from '@converge/tasks'
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '@converge/tasks/data'

const args = process.argv.slice(2)
const maxSteps = Number(args.find((a) => !a.startsWith('--')) ?? 2000)
const withCnn = args.includes('--cnn')
const data = loadFashionMnist()
console.log(`Fashion-MNIST from ${data.dir}: ${data.train.count} train, ${data.test.count} test images; classes ${FASHION_MNIST_CLASSES.join(', ')}`)

for (const task of [
  fashionClassification({ model: 'mlp', targetAccuracy: 0.85 }),
  // The CNN on area-averaged 16×16 inputs, shifted by up to 2 px and flipped at random (seeded).
  ...(withCnn ? [fashionClassification({ model: 'cnn', imageSize: 16, augment: { cropPadding: 2, flip: true }, learningRate: 3e-3, targetAccuracy: 0.85 })] : []),
]) {
  const result = await train({ task, seed: 1, maxSteps, evalEvery: 50, stopAtTarget: true })
  const last = result.history.at(-1)!.metrics
  console.log(
    `${task.options.model}: validation accuracy ${last.accuracy!.toFixed(3)} after ${result.steps} steps; ` +
      `85% reached at step ${result.stepsToTarget ?? '(not reached)'}; ${(result.trainMs / result.steps).toFixed(1)} ms/step on ${result.backend.name}`,
  )
}
