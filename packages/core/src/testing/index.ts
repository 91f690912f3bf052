export {
  checkNoTensorLeak,
  checkDeterminism,
  checkHookOrder,
  checkTrainable,
  checkStateRoundTrip,
  checkCheckpointResume,
  expectedHookSequence,
  canonicalState,
  type TrickContractOptions,
} from './contract.js'
export { trickContractSuite } from './suite.js'
export { killAndResume, resultFingerprint, uninterrupted, type KillAndResumeOptions, type KillAndResumeResult, type ResumeScenarios } from './resume.js'
export { findWebgpuAdapter, type FoundAdapter } from './webgpu-adapter.js'
