import type { TaskDefinition } from '@converge/core'
import { trickContractSuite } from '@converge/core/testing'
import { charLm } from '@converge/tasks'
import { frugal, galoreLike } from '../src/index.js'

// A tiny char-LM: two residual blocks give four projectable 2-D kernels (16×64 and 64×16).
const task = () =>
  charLm({ vocab: 8, contextLength: 4, embeddingDim: 4, trainChars: 4096, evalChars: 256, batchSize: 32, learningRate: 1e-2 }) as unknown as TaskDefinition
const common = { task, backend: 'cpu' as const, trainableSteps: 50 }

// updateGap 5: the 12-step leak and determinism checks cross two refreshes. The svd run also
// overrides the learning rate, which adds a learningRate hook to the checked hook sequence.
trickContractSuite('frugal (svd, learning-rate override)', { makeTrick: () => frugal({ updateGap: 5, learningRate: 5e-3 }), ...common })
trickContractSuite('frugal (blocks)', { makeTrick: () => frugal({ subspace: 'blocks', density: 0.5, updateGap: 5 }), ...common })
trickContractSuite('galore-like', { makeTrick: () => galoreLike({ updateGap: 5 }), ...common })
