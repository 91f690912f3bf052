// Trains a small char-LM with FRUGAL from the packed packages, with plain node (no TypeScript).
import { train } from '@converge/core'
import { charLm } from '@converge/tasks'
import { frugal } from '@converge/frugal'

const task = charLm({ vocab: 8, contextLength: 4, embeddingDim: 4, trainChars: 4096, evalChars: 512, batchSize: 32, learningRate: 1e-2 })
const trick = frugal({ subspace: 'svd', density: 0.25, updateGap: 20 })
const result = await train({ task, tricks: [trick], maxSteps: 80, evalEvery: 40, seed: 1 })

const first = result.history[0].metrics.loss
const last = result.history.at(-1).metrics.loss
const bytes = trick.optimizerStateBytes()
console.log(`backend ${result.backend?.name ?? '?'}: held-out loss ${first.toFixed(3)} -> ${last.toFixed(3)} in ${result.steps} steps; optimizer state ${bytes.peak} bytes`)
if (!(last < first)) throw new Error(`FRUGAL did not lower the held-out loss (${first} -> ${last})`)
