import { defineBenchConfig, optimizerSanitySuite } from '@converge/bench'
import { frugalSuite } from '@converge/frugal/bench'
import { noisyRewardNullSuite, noisyRewardPerSourceSuite, noisyRewardSuite } from '@converge/noisy-reward/bench'
import { ucbCoinControlSuite, ucbCurriculumSuite } from '@converge/ucb-curriculum/bench'
import { erwSuite } from '@converge/erw/bench'
import { orthogonalSpikesSuite, orthogonalSuite } from '@converge/orthogonal/bench'

/** The suites `pnpm bench` runs, in order. */
export default defineBenchConfig({
  suites: [optimizerSanitySuite, frugalSuite, ucbCurriculumSuite, ucbCoinControlSuite, noisyRewardSuite, noisyRewardNullSuite, noisyRewardPerSourceSuite, erwSuite, orthogonalSuite, orthogonalSpikesSuite],
})
