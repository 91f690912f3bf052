import { trickContractSuite } from '@converge/core/testing'
import { smallTask } from './fixtures.js'
import { allocationRecorder, oracleCurriculum, ucbCurriculum } from '../src/index.js'

const task = () => smallTask()

trickContractSuite('ucb-curriculum', { makeTrick: () => ucbCurriculum(), task })
trickContractSuite('ucb-curriculum (τ = 1, small window)', { makeTrick: () => ucbCurriculum({ temperature: 1, window: 16 }), task })
trickContractSuite('oracle-curriculum', { makeTrick: () => oracleCurriculum({ refreshEvery: 2 }), task })
trickContractSuite('allocation-recorder', { makeTrick: () => allocationRecorder(), task })
