import { trickContractSuite } from '@converge/core/testing'
import { rlArithmetic } from '@converge/tasks'
import { noisyReward } from '../src/index.js'
import { SMALL } from './fixtures.js'

trickContractSuite('noisy-reward', {
  makeTrick: () => noisyReward({ correction: 'backward', rho1: 'appeals', appeals: { rate: 0.5 } }),
  task: () => rlArithmetic(SMALL) as never,
  backend: 'cpu',
  trainableSteps: 60,
})
