import { checkRates, type NoiseRates } from './rates.js'

/**
 * Backward correction: `R̂ = (R̃ − ρ0) / (1 − ρ0 − ρ1)`. Unbiased for the clean reward:
 * E[R̂ | R* = 1] = 1 and E[R̂ | R* = 0] = 0. Needs both rates; its values are
 * {−ρ0/(1−ρ0−ρ1), (1−ρ0)/(1−ρ0−ρ1)}, so variance grows as ρ0 + ρ1 approaches 1.
 */
export function backwardCorrect(observed: ArrayLike<number>, rates: NoiseRates): Float32Array {
  const { rho0, rho1 } = checkRates(rates)
  const denom = 1 - rho0 - rho1
  const out = new Float32Array(observed.length)
  for (let i = 0; i < observed.length; i++) out[i] = ((observed[i] as number) - rho0) / denom
  return out
}

/**
 * Forward-correction weights: `w = ρ1` for an observed 1, `w = ρ1 − 1` for an observed 0, i.e.
 * `w = R̃ − (1 − ρ1)`: REINFORCE on the noisy reward with the constant baseline 1 − ρ1.
 * E[w | R* = 1] = 0 and E[w | R* = 0] = −(1 − ρ0 − ρ1), so in expectation the policy gradient
 * is (1 − ρ0 − ρ1) times the clean one: the right direction, needing only ρ1.
 */
export function forwardWeights(observed: ArrayLike<number>, rho1: number): Float32Array {
  checkRates({ rho0: 0, rho1 })
  const out = new Float32Array(observed.length)
  for (let i = 0; i < observed.length; i++) out[i] = (observed[i] as number) - (1 - rho1)
  return out
}
