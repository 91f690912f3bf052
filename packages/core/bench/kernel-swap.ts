/**
 * Two kernel sets compared side by side in one process: `work` runs in blocks of ~blockMs under
 * each, the order alternating every round, and each block's CPU time (process.cpuUsage, so other
 * processes inflate it little) per unit of work is kept. Used by the wasm-*.ts kernel benches.
 */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../src/index.js'

export interface Swap {
  /** Registers the "before" kernels, or the "after" ones. */
  use(arm: 'before' | 'after'): void
  readonly rounds: number
  readonly blockMs: number
}

export type Rounds = { before: number[]; after: number[] }

const cpuUs = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

/** CPU µs per call of `work` under each arm, one entry per round; leaves the "after" kernels registered. */
export async function alternate(swap: Swap, work: () => Promise<void> | void): Promise<Rounds> {
  const t: Rounds = { before: [], after: [] }
  for (let r = 0; r < swap.rounds; r++) {
    for (const arm of r % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
      swap.use(arm)
      const w0 = performance.now()
      const c0 = cpuUs()
      let n = 0
      while (performance.now() - w0 < swap.blockMs || n < 2) {
        await work()
        n++
      }
      t[arm].push((cpuUs() - c0) / n)
    }
  }
  swap.use('after')
  return t
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

/** "**median x** (min – max)" of the per-round ratios before / after. */
export function ratioCell(t: Rounds): string {
  const ratios = t.before.map((b, i) => b / t.after[i]!)
  return `**${median(ratios).toFixed(2)}x** (${Math.min(...ratios).toFixed(2)} – ${Math.max(...ratios).toFixed(2)})`
}

/**
 * Starts tuned WASM and returns the swap of `kernels` between tfjs's stock WASM kernels ("before")
 * and converge's ("after"); a kernel stock tfjs lacks is an error.
 */
export async function stockAgainstTuned(kernels: readonly string[], rounds: number, blockMs: number): Promise<Swap> {
  await useBackend('wasm', { tunedWasm: false })
  const missing = kernels.filter((n) => !tf.getKernel(n, 'wasm'))
  if (missing.length) throw new Error(`stock tfjs has no wasm kernel ${missing.join(', ')}`)
  const stock = new Map(kernels.map((n) => [n, tf.getKernel(n, 'wasm')!.kernelFunc]))
  await useBackend('wasm')
  const tuned = new Map(kernels.map((n) => [n, tf.getKernel(n, 'wasm')!]))
  return {
    use(arm) {
      for (const n of kernels) {
        const config = tuned.get(n)!
        tf.unregisterKernel(n, 'wasm')
        tf.registerKernel({ ...config, kernelFunc: arm === 'before' ? stock.get(n)! : config.kernelFunc })
      }
    },
    rounds,
    blockMs,
  }
}
