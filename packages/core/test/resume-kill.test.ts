import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { killAndResume, uninterrupted } from '../src/testing/resume.js'
import { scenarios } from './fixtures/resume/scenarios.js'

const script = fileURLToPath(new URL('./fixtures/resume/child.ts', import.meta.url))

// A real SIGKILL of a child process between two steps, then a resume in a fresh process: the
// result must equal an uninterrupted run's, bit for bit.
describe('a killed run resumes bit for bit', () => {
  it.each([
    ['plain', 'wasm', 13],
    ['plain', 'cpu', 17],
    ['warmup', 'wasm', 8], // killed inside the warm-up phase: resumes inside it (checkpoint at step 5)
    ['warmup', 'wasm', 23], // killed in the main phase: the finished warm-up is not run again
  ] as const)('%s on %s, killed at step %i', async (scenario, backend, killAt) => {
    const resumed = await killAndResume({ script, scenario, backend, killAt, everySteps: 5 })
    expect(resumed.killSignal).toBe('SIGKILL')
    expect(resumed.resumedFromStep).toBe(Math.floor(killAt / 5) * 5)
    expect(resumed.fingerprint).toBe(await uninterrupted(scenarios, scenario, backend))
  })
})
