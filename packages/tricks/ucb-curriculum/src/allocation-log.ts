/** How a run spread its batch slots over sources, batch by batch (for plots and summaries). */
export interface AllocationTrace {
  readonly sources: readonly string[]
  /** Optimizer steps taken when each batch was drawn. */
  readonly steps: readonly number[]
  /** Per batch: slots given to each source, in `sources` order. */
  readonly counts: readonly (readonly number[])[]
  /** Per batch: the sampler's probabilities, in `sources` order (absent when only observed). */
  readonly probabilities?: readonly (readonly number[])[]
}

/** Records an allocation trace. */
export class AllocationLog {
  private sourceNames: string[] = []
  private readonly stepList: number[] = []
  private readonly countList: number[][] = []
  private readonly probabilityList: number[][] = []

  /** Clears the log for a run over `sources`. */
  reset(sources: readonly string[]): void {
    this.sourceNames = [...sources]
    this.stepList.length = 0
    this.countList.length = 0
    this.probabilityList.length = 0
  }

  get sources(): readonly string[] {
    return this.sourceNames
  }

  /** Records one batch: the source of every slot, and the probabilities they were drawn from (if any). */
  record(step: number, chosen: readonly string[], probabilities?: readonly number[]): void {
    const counts = this.sourceNames.map(() => 0)
    for (const s of chosen) {
      const i = this.sourceNames.indexOf(s)
      if (i < 0) throw new RangeError(`source "${s}" is not among the recorded sources (${this.sourceNames.join(', ')})`)
      counts[i] = (counts[i] as number) + 1
    }
    this.stepList.push(step)
    this.countList.push(counts)
    if (probabilities) {
      if (probabilities.length !== this.sourceNames.length) throw new RangeError(`expected ${this.sourceNames.length} probabilities, got ${probabilities.length}`)
      this.probabilityList.push([...probabilities])
    }
  }

  /** Batches recorded. */
  get length(): number {
    return this.stepList.length
  }

  /** The trace so far (copies). */
  trace(): AllocationTrace {
    return {
      sources: [...this.sourceNames],
      steps: [...this.stepList],
      counts: this.countList.map((c) => [...c]),
      ...(this.probabilityList.length ? { probabilities: this.probabilityList.map((p) => [...p]) } : {}),
    }
  }

  /** Fraction of all slots each source received over batches [from, to) (default: all). */
  shares(from = 0, to = this.countList.length): Record<string, number> {
    const totals = this.sourceNames.map(() => 0)
    let all = 0
    for (const counts of this.countList.slice(from, to)) {
      counts.forEach((c, i) => (totals[i] = (totals[i] as number) + c))
      all += counts.reduce((a, b) => a + b, 0)
    }
    return Object.fromEntries(this.sourceNames.map((s, i) => [s, all > 0 ? (totals[i] as number) / all : Number.NaN]))
  }

  load(trace: AllocationTrace): void {
    this.reset(trace.sources)
    this.stepList.push(...trace.steps)
    this.countList.push(...trace.counts.map((c) => [...c]))
    if (trace.probabilities) this.probabilityList.push(...trace.probabilities.map((p) => [...p]))
  }
}
