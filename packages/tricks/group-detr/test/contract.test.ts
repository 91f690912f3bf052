import { trickContractSuite } from '@converge/core/testing'
import { groupDetr } from '../src/index.js'
import { tinyTask } from './helpers.js'

trickContractSuite('group-detr', { makeTrick: () => groupDetr({ groups: 3 }), task: tinyTask, steps: 6, trainableSteps: 30, backend: 'cpu' })
trickContractSuite('group-detr (unseparated control)', { makeTrick: () => groupDetr({ groups: 3, separateSelfAttention: false }), task: tinyTask, steps: 6, trainableSteps: 30, backend: 'cpu' })
