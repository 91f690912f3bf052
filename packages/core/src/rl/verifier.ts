import { z } from 'zod'
import { parseOptions } from '../parse-options.js'
import type { Rng } from '../rng.js'

/**
 * A noisy binary verifier between the clean reward R* and the observed one R̃.
 * Class-conditional part (the "memoryless" channel): ρ0 = P(R̃ = 1 | R* = 0) is the false-positive
 * rate, ρ1 = P(R̃ = 0 | R* = 1) the false-negative rate, independent of prompt and response.
 * Instance-dependent part: responses the task marks as hackable (a wrong answer that exploits the
 * verifier, e.g. a fixed string it accepts too often) are accepted with probability
 * `hackAcceptance` instead of ρ0.
 */
export const rewardChannelSchema = z
  .object({
    falsePositive: z.number().min(0).lt(1).default(0),
    falseNegative: z.number().min(0).lt(1).default(0),
    hackAcceptance: z.number().min(0).max(1).default(0),
  })
  .strict()
  .refine((c) => c.falsePositive + c.falseNegative < 1, {
    message: 'falsePositive + falseNegative must be below 1 (otherwise the observed reward carries no signal)',
  })

export type RewardChannelOptions = z.input<typeof rewardChannelSchema>
export type RewardChannel = z.output<typeof rewardChannelSchema>

export function parseRewardChannel(options: RewardChannelOptions = {}): RewardChannel {
  return parseOptions(rewardChannelSchema, options, 'reward channel')
}

/** True when the channel changes nothing (no noise, no hack). */
export function isCleanChannel(c: RewardChannel): boolean {
  return c.falsePositive === 0 && c.falseNegative === 0 && c.hackAcceptance === 0
}

function checkBinary(clean: ArrayLike<number>, what: string): void {
  for (let i = 0; i < clean.length; i++) {
    const r = clean[i]
    if (r !== 0 && r !== 1) throw new RangeError(`${what}: rewards must be 0 or 1, got ${r} at index ${i}`)
  }
}

/**
 * Passes clean 0/1 rewards through the channel. Draws exactly one uniform per response whatever
 * the values, so the noise stream stays aligned across arms. `hackable[i]` truthy marks response i
 * as an exploit (used only where R* = 0).
 */
export function applyRewardChannel(clean: ArrayLike<number>, channel: RewardChannel, rng: Rng, hackable?: ArrayLike<number | boolean> | null): Float32Array {
  checkBinary(clean, 'applyRewardChannel')
  if (hackable && hackable.length !== clean.length) throw new RangeError(`hackable has ${hackable.length} entries for ${clean.length} rewards`)
  const out = new Float32Array(clean.length)
  for (let i = 0; i < clean.length; i++) {
    const u = rng.next()
    if (clean[i] === 1) out[i] = u < channel.falseNegative ? 0 : 1
    else out[i] = u < (hackable?.[i] ? channel.hackAcceptance : channel.falsePositive) ? 1 : 0
  }
  return out
}

/** A second, more expensive verifier that re-checks chosen responses ("appeals"), with its own error rates. */
export const appealVerifierSchema = z
  .object({
    /** P(verdict 1 | R* = 1). */
    truePositiveRate: z.number().min(0).max(1).default(1),
    /** P(verdict 1 | R* = 0). */
    falsePositiveRate: z.number().min(0).max(1).default(0),
  })
  .strict()

export type AppealVerifierOptions = z.input<typeof appealVerifierSchema>

/** Judges responses by their clean reward through its own channel, and counts every response it judged. */
export class AppealVerifier {
  readonly options: z.output<typeof appealVerifierSchema>
  /** Responses judged so far (the cost of appeals). */
  calls = 0

  constructor(
    options: AppealVerifierOptions,
    private readonly rng: Rng,
  ) {
    this.options = parseOptions(appealVerifierSchema, options, 'appeal verifier')
  }

  /** Verdicts (0/1) for `indices` of `clean`, in the order given. One uniform per judged response. */
  judge(clean: ArrayLike<number>, indices: readonly number[]): Float32Array {
    checkBinary(clean, 'AppealVerifier.judge')
    const out = new Float32Array(indices.length)
    indices.forEach((idx, k) => {
      if (!Number.isInteger(idx) || idx < 0 || idx >= clean.length) throw new RangeError(`appeal index ${idx} is outside [0, ${clean.length})`)
      const u = this.rng.next()
      out[k] = u < (clean[idx] === 1 ? this.options.truePositiveRate : this.options.falsePositiveRate) ? 1 : 0
    })
    this.calls += indices.length
    return out
  }
}
