/**
 * One source's learnability estimate: the last `size` per-response |advantage| values (a sliding
 * window, oldest dropped first) and the count of every response ever fed. The absolute value is
 * taken per response before averaging: GRPO advantages sum to zero within a group, so the mean of
 * signed advantages says nothing.
 */
export class AbsAdvantageWindow {
  private readonly ring: Float64Array
  private next = 0
  private filled = 0
  /** Responses fed so far, all time (n_d). */
  count = 0

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`window size must be a positive integer, got ${size}`)
    this.ring = new Float64Array(size)
  }

  /** Feeds advantages (signed; stored as |a|). */
  push(advantages: Iterable<number>): void {
    for (const a of advantages) {
      if (!Number.isFinite(a)) throw new RangeError(`advantages must be finite, got ${a}`)
      this.ring[this.next] = Math.abs(a)
      this.next = (this.next + 1) % this.size
      this.filled = Math.min(this.size, this.filled + 1)
      this.count++
    }
  }

  /** Values in the window, oldest first. */
  values(): number[] {
    const out: number[] = []
    const start = this.filled < this.size ? 0 : this.next
    for (let k = 0; k < this.filled; k++) out.push(this.ring[(start + k) % this.size] as number)
    return out
  }

  /** Mean |advantage| over the window; 0 while empty (the official estimator starts at mu = 0). */
  get mean(): number {
    if (this.filled === 0) return 0
    let s = 0
    for (let k = 0; k < this.filled; k++) s += this.ring[k] as number
    return s / this.filled
  }

  /** Values currently in the window (at most `size`). */
  get length(): number {
    return this.filled
  }

  state(): { values: number[]; count: number } {
    return { values: this.values(), count: this.count }
  }

  loadState(s: { values: readonly number[]; count: number }): void {
    if (s.values.length > this.size) throw new RangeError(`window state has ${s.values.length} values for a window of ${this.size}`)
    this.ring.fill(0)
    this.next = 0
    this.filled = 0
    for (const v of s.values) {
      this.ring[this.next] = v
      this.next = (this.next + 1) % this.size
      this.filled++
    }
    this.count = Number(s.count)
  }
}
