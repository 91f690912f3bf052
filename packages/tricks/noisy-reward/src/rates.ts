import { ConfigError } from '@converge/core'

/**
 * The verifier as a noisy channel on a binary clean reward R* (class-conditional noise):
 * `rho0` = P(observed 1 | clean 0), the false-positive rate; `rho1` = P(observed 0 | clean 1), the
 * false-negative rate. Corrections need `rho0 + rho1 < 1`; we also require each rate in [0, 0.5),
 * where the verifier is still better than its opposite.
 */
export interface NoiseRates {
  readonly rho0: number
  readonly rho1: number
}

export function checkRates(rates: NoiseRates, what = 'noise rates'): NoiseRates {
  for (const [name, v] of [['rho0', rates.rho0], ['rho1', rates.rho1]] as const) {
    if (!(Number.isFinite(v) && v >= 0 && v < 0.5)) {
      throw new ConfigError(`${what}: ${name}: got ${v}; expected a rate in [0, 0.5)`)
    }
  }
  if (rates.rho0 + rates.rho1 >= 1) {
    throw new ConfigError(`${what}: rho0 + rho1 = ${rates.rho0 + rates.rho1}; the corrections need rho0 + rho1 < 1`)
  }
  return rates
}
