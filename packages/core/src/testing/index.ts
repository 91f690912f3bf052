export {
  checkNoTensorLeak,
  checkDeterminism,
  checkHookOrder,
  checkTrainable,
  checkStateRoundTrip,
  expectedHookSequence,
  type TrickContractOptions,
} from './contract.js'
export { trickContractSuite } from './suite.js'
