import type { TaskDefinition } from '@converge/core'
import { trickContractSuite } from '@converge/core/testing'
import { charLmTransformer } from '@converge/tasks'
import { adamw, muon, root } from '../src/index.js'

// A tiny LLaMA-style char-LM: per layer four 8×8 attention matrices and SwiGLU 8×16 / 16×8 go to
// Muon; embedding, positions, gains and head to AdamW.
const task = () =>
  charLmTransformer({
    vocab: 8,
    sourceOrder: 2,
    contextLength: 4,
    dModel: 8,
    heads: 2,
    layers: 1,
    ffnDim: 16,
    batchSize: 8,
    trainChars: 4096,
    evalChars: 64,
    learningRate: 1e-2,
  }) as unknown as TaskDefinition
const common = { task, backend: 'cpu' as const, trainableSteps: 40 }

trickContractSuite('muon', { makeTrick: () => muon({ weightDecay: 0.01 }), ...common })
trickContractSuite('root', { makeTrick: () => root(), ...common })
trickContractSuite('adamw (clip)', { makeTrick: () => adamw({ clipPercentile: 0.9 }), ...common })
