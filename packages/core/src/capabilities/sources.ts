/**
 * `sources`: the task draws each batch slot from one of several named data sources, chosen by
 * the loop (uniformly) or by a `sampleSource` trick (a curriculum).
 */
export interface Sources {
  /** Source names, in a fixed order. */
  readonly names: readonly string[]
  /** Batch slots per step (e.g. prompts per RL step); each slot gets one source. */
  readonly slots: number
  /**
   * Optional oracle for curriculum baselines: how much each source has left to learn now, by name
   * (task-defined scale; larger = more useful to train on).
   */
  learnability?(): Readonly<Record<string, number>>
}
