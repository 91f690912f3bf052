import { trickContractSuite } from '@converge/core/testing'
import { orthogonal } from '../src/index.js'

// No tensor leaks, determinism, hook order, state round trip, still trainable. The kit's default
// task (a small synthetic classification) fits a trick that needs no capability; pass `task` for
// one that does, and `steps` long enough to cover any setup phase.
trickContractSuite('orthogonal', { makeTrick: () => orthogonal(), backend: 'cpu' })
trickContractSuite('orthogonal (off)', { makeTrick: () => orthogonal({ eta: 0 }), backend: 'cpu' })
