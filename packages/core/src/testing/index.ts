export {
  checkNoTensorLeak,
  checkDeterminism,
  checkHookOrder,
  checkTrainable,
  checkStateRoundTrip,
  expectedHookSequence,
  canonicalState,
  type TrickContractOptions,
} from './contract.js'
export { trickContractSuite } from './suite.js'
