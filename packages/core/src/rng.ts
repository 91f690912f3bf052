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
}

export function createRng(seed: string): Rng {
  const prng = seedrandom.alea(seed)
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
}
