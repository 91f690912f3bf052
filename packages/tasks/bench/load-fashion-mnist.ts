/**
 * How long loading the full Fashion-MNIST takes (read + gunzip + parse of the four IDX files),
 * cold in this process, then the cached second call.
 *
 *   npx tsx packages/tasks/bench/load-fashion-mnist.ts [folder]
 */
import { loadFashionMnist } from '../src/data/fashion-mnist.js'

const options = process.argv[2] ? { dir: process.argv[2] } : {}
let t = performance.now()
const data = loadFashionMnist(options)
const cold = performance.now() - t
t = performance.now()
loadFashionMnist(options)
const cached = performance.now() - t
console.log(`Fashion-MNIST from ${data.dir}: ${data.train.count} train + ${data.test.count} test images`)
console.log(`load: ${(cold / 1000).toFixed(2)} s cold, ${cached.toFixed(2)} ms cached`)
