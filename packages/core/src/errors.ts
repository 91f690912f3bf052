/** Every error converge throws on purpose is a ConvergeError, so callers can tell ours from tfjs's. */
export class ConvergeError extends Error {
  override name = 'ConvergeError'
}

/** A bad option value: thrown before any work starts. */
export class ConfigError extends ConvergeError {
  override name = 'ConfigError'
}

/** Tricks and the task do not fit together (exclusive hooks, missing capabilities, misuse of a hook). */
export class ContractError extends ConvergeError {
  override name = 'ContractError'
}

/** A requested backend could not start. Never answered by silently using another backend. */
export class BackendError extends ConvergeError {
  override name = 'BackendError'
}

/** The loss stopped being finite; carries what a user needs to find out why. */
export class NonFiniteLossError extends ConvergeError {
  override name = 'NonFiniteLossError'
  constructor(
    readonly step: number,
    readonly lossParts: Readonly<Record<string, number>>,
    readonly tricks: readonly string[],
  ) {
    const parts = Object.entries(lossParts)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')
    super(
      `non-finite loss at step ${step} (loss parts: ${parts || 'none'}; tricks in play: ${tricks.length ? tricks.join(', ') : 'none'})`,
    )
  }
}
