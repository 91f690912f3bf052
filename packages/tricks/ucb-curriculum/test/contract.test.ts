import type { TaskDefinition } from '@converge/core'
import { trickContractSuite } from '@converge/core/testing'
import { rlArithmetic } from '@converge/bench'
import { allocationRecorder, oracleCurriculum, ucbCurriculum } from '../src/index.js'

const task = () =>
  rlArithmetic({
    sources: [
      { name: 'add2', range: 2, role: 'saturated' },
      { name: 'add6', range: 6 },
      { name: 'add64', range: 64, poolSize: 64, role: 'unsolvable' },
    ],
    prompts: 8,
    groupSize: 4,
    hidden: 16,
    learningRate: 2e-2,
  }) as unknown as TaskDefinition

trickContractSuite('ucb-curriculum', { makeTrick: () => ucbCurriculum(), task })
trickContractSuite('ucb-curriculum (τ = 1, small window)', { makeTrick: () => ucbCurriculum({ temperature: 1, window: 16 }), task })
trickContractSuite('oracle-curriculum', { makeTrick: () => oracleCurriculum({ refreshEvery: 2 }), task })
trickContractSuite('allocation-recorder', { makeTrick: () => allocationRecorder(), task })
