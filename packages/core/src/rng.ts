import seedrandom from 'seedrandom'

/** A seeded random stream. Library code draws every random number from one of these, never from the unseeded global generator. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** Standard normal (Box-Muller). */
  normal(): number
  /** A seed for a tfjs random op: an integer >= 1 (tfjs treats 0 as "unseeded"). */
  opSeed(): number
  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[]
  /** Index drawn from unnormalised non-negative weights. */
  categorical(weights: ArrayLike<number>): number
  /** The stream's position, for checkpoints: restoring it makes the stream continue exactly from here. */
  state(): RngState
  /** Moves the stream to a position `state()` returned (the object keeps its identity: holders of it continue from there). */
  loadState(state: RngState): void
}

/** A stream's position: the Alea generator's registers and the cached second normal of Box-Muller. */
export interface RngState {
  readonly alea: { readonly c: number; readonly s0: number; readonly s1: number; readonly s2: number }
  readonly spare: number | null
}

export function createRng(seed: string): Rng {
  let prng = seedrandom.alea(seed, { state: true })
  let spare: number | null = null
  const rng: Rng = {
    next: () => prng(),
    int: (n) => Math.floor(prng() * n),
    normal() {
      if (spare !== null) {
        const s = spare
        spare = null
        return s
      }
      let u = 0
      while (u === 0) u = prng()
      const v = prng()
      const r = Math.sqrt(-2 * Math.log(u))
      spare = r * Math.sin(2 * Math.PI * v)
      return r * Math.cos(2 * Math.PI * v)
    },
    opSeed: () => 1 + Math.floor(prng() * 2147483646),
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(prng() * (i + 1))
        const t = items[i] as (typeof items)[number]
        items[i] = items[j] as (typeof items)[number]
        items[j] = t
      }
      return items
    },
    categorical(weights) {
      let total = 0
      for (let i = 0; i < weights.length; i++) total += weights[i] as number
      if (!(total > 0)) throw new RangeError('categorical: weights must have a positive sum')
      let u = prng() * total
      for (let i = 0; i < weights.length; i++) {
        u -= weights[i] as number
        if (u < 0) return i
      }
      return weights.length - 1
    },
    state: () => ({ alea: prng.state() as RngState['alea'], spare }),
    loadState(state) {
      const a = state?.alea
      if (!a || ![a.c, a.s0, a.s1, a.s2].every((x) => typeof x === 'number' && Number.isFinite(x)) || !(state.spare === null || typeof state.spare === 'number')) {
        throw new TypeError('Rng.loadState expects a state() snapshot: { alea: { c, s0, s1, s2 }, spare }')
      }
      prng = seedrandom.alea('', { state: { c: a.c, s0: a.s0, s1: a.s1, s2: a.s2 } })
      spare = state.spare
    },
  }
  return rng
}

/**
 * Independent random streams derived from one root seed, one per purpose ('init', 'data',
 * 'sampling', 'trick:<name>', ...). The same root seed and purpose always give the same stream, so
 * adding a trick that draws numbers never shifts the data order of the baseline.
 */
export class SeedStreams {
  private readonly streams = new Map<string, Rng>()
  constructor(readonly rootSeed: number) {}

  stream(purpose: string): Rng {
    let s = this.streams.get(purpose)
    if (!s) {
      s = createRng(`converge:${this.rootSeed}:${purpose}`)
      this.streams.set(purpose, s)
    }
    return s
  }

  /** Every stream's position, by purpose. */
  state(): Record<string, RngState> {
    return Object.fromEntries([...this.streams].map(([purpose, rng]) => [purpose, rng.state()]))
  }

  /**
   * Moves every stream to its position in `states`, in place (tasks and tricks hold streams by
   * reference). A stream that `states` does not list had not been drawn from then: it restarts.
   */
  loadState(states: Readonly<Record<string, RngState>>): void {
    for (const [purpose, rng] of this.streams) {
      const saved = states[purpose]
      rng.loadState(saved ?? createRng(`converge:${this.rootSeed}:${purpose}`).state())
    }
    for (const [purpose, saved] of Object.entries(states)) if (!this.streams.has(purpose)) this.stream(purpose).loadState(saved)
  }
}
