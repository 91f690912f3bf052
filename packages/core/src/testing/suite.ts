import { describe, expect, it } from 'vitest'
import {
  checkDeterminism,
  checkHookOrder,
  checkNoTensorLeak,
  checkCheckpointResume,
  checkStateRoundTrip,
  checkTrainable,
  type TrickContractOptions,
} from './contract.js'

/**
 * Registers the trick contract as vitest tests: no tensor leaks, determinism, documented hook
 * order, state round trip, exact resume from a checkpoint, and that the task stays trainable with the trick. Call it from a
 * trick package's test file: `trickContractSuite('frugal', { makeTrick: () => frugal() })`.
 */
export function trickContractSuite(name: string, options: TrickContractOptions & { readonly timeoutMs?: number }): void {
  const timeout = options.timeoutMs ?? 60_000
  describe(`trick contract: ${name}`, () => {
    it('keeps tf.memory().numTensors flat across steps and frees everything at the end', async () => {
      const { perStep, phaseSteps, before, after } = await checkNoTensorLeak(options)
      expect(new Set(perStep.slice(phaseSteps + 1)).size).toBe(1)
      expect(after).toBe(before)
    }, timeout)
    it('gives identical numbers for the same seed', async () => {
      const [a, b] = await checkDeterminism(options)
      expect(a!.losses).toEqual(b!.losses)
    }, timeout)
    it('receives its hooks in the documented order', async () => {
      await expect(checkHookOrder(options)).resolves.toBeUndefined()
    }, timeout)
    it('round-trips its state', async () => {
      await expect(checkStateRoundTrip(options)).resolves.toBeUndefined()
    }, timeout)
    it('resumes bit for bit from a real checkpoint', async () => {
      const r = await checkCheckpointResume(options)
      expect(r.resumedFrom).toBeGreaterThan(0)
    }, timeout)
    it('leaves the task trainable', async () => {
      const r = await checkTrainable(options)
      expect(r.history.length).toBeGreaterThan(1)
    }, timeout)
  })
}
