/**
 * Two kernel sets compared side by side in one process: `work` runs in blocks of ~blockMs under
 * each, the order alternating every round, and each block's CPU time (process.cpuUsage, so other
 * processes inflate it little) per unit of work is kept. Used by the wasm-*.ts kernel benches.
 */

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
