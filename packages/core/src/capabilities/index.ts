import type { Generative } from './generative.js'
import type { HiddenStates } from './hidden-states.js'
import type { QuerySets } from './query-sets.js'
import type { Rewards } from './rewards.js'
import type { Sources } from './sources.js'

/**
 * Every capability a task instance may provide, by name, with its typed API. A trick lists the
 * names it needs in `requires` and reads the APIs through `ctx.capability(name)`. A package can
 * add its own by declaration merging:
 * `declare module '@converge/core' { interface Capabilities { myCap: MyApi } }`.
 */
export interface Capabilities {
  hiddenStates: HiddenStates
  generative: Generative
  querySets: QuerySets
  rewards: Rewards
  sources: Sources
}

export type Capability = keyof Capabilities

/** What a task instance provides: some of the capabilities, each with its API. */
export type ProvidedCapabilities = { readonly [K in Capability]?: Capabilities[K] }

/** The capabilities converge itself defines. */
export const BUILT_IN_CAPABILITIES = ['hiddenStates', 'generative', 'querySets', 'rewards', 'sources'] as const satisfies readonly Capability[]

export type { Generative, HiddenStates, QuerySets, Rewards, Sources }
export type { TokenShape } from './hidden-states.js'
export type { Match, QueryForwardOptions, SelfAttentionWrapper } from './query-sets.js'
