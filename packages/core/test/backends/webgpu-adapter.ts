export { findWebgpuAdapter as findAdapter, type FoundAdapter } from '../../src/testing/webgpu-adapter.js'
