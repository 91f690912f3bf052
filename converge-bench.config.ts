import { defineBenchConfig, emaSuite, fashionSanitySuite, optimizerSanitySuite, scheduleBudgetSuite } from '@converge/bench'
import { frugalSuite, frugalTransformerSuite } from '@converge/frugal/bench'
import { noisyRewardNullSuite, noisyRewardPerSourceSuite, noisyRewardSuite } from '@converge/noisy-reward/bench'
import { ucbCoinControlSuite, ucbCurriculumSuite } from '@converge/ucb-curriculum/bench'
import { erwFashionSuite, erwSuite } from '@converge/erw/bench'
import { groupDetrFashionSuite, groupDetrSuite } from '@converge/group-detr/bench'
import { orthogonalFashionCnnSuite, orthogonalMobySuite, orthogonalSpikesSuite, orthogonalSuite } from '@converge/orthogonal/bench'

/** The suites `pnpm bench` runs, in order (opt-in ones only when named with --suite). */
export default defineBenchConfig({
  suites: [
    optimizerSanitySuite,
    fashionSanitySuite,
    frugalSuite,
    frugalTransformerSuite,
    ucbCurriculumSuite,
    ucbCoinControlSuite,
    noisyRewardSuite,
    noisyRewardNullSuite,
    noisyRewardPerSourceSuite,
    erwSuite,
    erwFashionSuite,
    groupDetrSuite,
    groupDetrFashionSuite,
    orthogonalSuite,
    orthogonalSpikesSuite,
    orthogonalMobySuite,
    orthogonalFashionCnnSuite,
    emaSuite,
    scheduleBudgetSuite,
  ],
})
