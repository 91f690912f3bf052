import { defineBenchConfig, optimizerSanitySuite } from '@converge/bench'

/** The suites `pnpm bench` runs, in order. */
export default defineBenchConfig({
  suites: [optimizerSanitySuite],
})
