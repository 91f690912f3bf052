import { fileURLToPath } from 'node:url'
import { killAndResume, uninterrupted } from '@converge/core/testing'
import { describe, expect, it } from 'vitest'
import { scenarios } from './fixtures/resume-scenarios.js'

const script = fileURLToPath(new URL('./fixtures/resume-child.ts', import.meta.url))

// FRUGAL's projectors, moments, step counters and refresh schedule survive a real SIGKILL: the
// resumed run crosses the later subspace refreshes exactly as the uninterrupted one.
describe('FRUGAL resumes bit for bit after kill -9', () => {
  it.each([['svd'], ['blocks']] as const)('%s subspace, killed at step 8, across the refreshes at steps 7, 13 and 19', async (scenario) => {
    const resumed = await killAndResume({ script, scenario, backend: 'wasm', killAt: 8, everySteps: 5 })
    expect(resumed.killSignal).toBe('SIGKILL')
    expect(resumed.resumedFromStep).toBe(5)
    expect(resumed.fingerprint).toBe(await uninterrupted(scenarios, scenario, 'wasm'))
  })
})
