import { trickContractSuite } from '@converge/core/testing'
import { erw, repa } from '../src/index.js'
import { teacher, tinyTask } from './helpers.js'

// 12 steps: 4 warm-up steps, then 8 main steps (the leak check skips the phase steps).
trickContractSuite('erw', { makeTrick: () => erw({ teacher, warmupSteps: 4, warmupDepth: 1, alignDepth: 2, halfLife: 5 }), task: tinyTask, steps: 12, trainableSteps: 30, backend: 'cpu' })
trickContractSuite('repa', { makeTrick: () => repa({ teacher, alignDepth: 2 }), task: tinyTask, steps: 8, trainableSteps: 30, backend: 'cpu' })
