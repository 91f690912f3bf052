import type { Trick, TrickState } from '@converge/core'
import { AllocationLog, type AllocationTrace } from './allocation-log.js'

/**
 * Records which sources each batch came from, without choosing them: for the allocation plots of
 * a run that samples sources some other way (e.g. the loop's uniform draws). It only reads step
 * reports, so a run with it trains exactly as one without it.
 */
export function allocationRecorder(): Trick & { readonly allocation: AllocationLog } {
  const allocation = new AllocationLog()
  let last: readonly string[] | null = null
  return {
    name: 'allocation-recorder',
    requires: ['sources'],
    allocation,
    setup(ctx) {
      allocation.reset(ctx.capability('sources').names)
      last = null
    },
    afterStep(_ctx, report) {
      if (report.sources === last) return // a batch reused for several updates is one allocation
      last = report.sources
      allocation.record(report.step - 1, report.sources)
    },
    state: (): TrickState => ({ allocation: allocation.trace() }),
    loadState(state) {
      allocation.load(state.allocation as AllocationTrace)
    },
  }
}
