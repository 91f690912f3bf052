import * as tf from '@tensorflow/tfjs'
import { describeValue } from '../describe-value.js'
import { ContractError } from '../errors.js'
import { isReported, type LossParts } from '../task.js'

/**
 * Checks loss parts from `producer` (the task, a trick's hook, a phase): an object of named
 * scalar terms or `reportOnly(scalar)` diagnostics. Terms unchanged since `previous` were checked
 * already. Errors name the term and who produced it.
 */
export function checkLossParts(parts: unknown, previous: LossParts | null, producer: string): LossParts {
  if (!parts || typeof parts !== 'object' || parts instanceof tf.Tensor || Array.isArray(parts)) {
    throw new ContractError(`${producer} returned ${describeValue(parts)} as loss parts; expected an object of named scalar terms, e.g. { ce: tf.scalar }`)
  }
  for (const [name, term] of Object.entries(parts as Record<string, unknown>)) {
    if (previous && previous[name] === term) continue
    const tensor = term instanceof tf.Tensor ? term : term && typeof term === 'object' && 'reported' in term ? (term as { reported: unknown }).reported : null
    if (!(tensor instanceof tf.Tensor)) {
      throw new ContractError(`loss term "${name}" from ${producer} is ${describeValue(term)}; expected a scalar tensor, or reportOnly(scalar) for a diagnostic`)
    }
    if (tensor.rank !== 0) {
      throw new ContractError(`loss term "${name}" from ${producer} has shape [${tensor.shape.join(', ')}]; loss terms must be scalars (reduce it, e.g. with tf.mean)`)
    }
  }
  return parts as LossParts
}

/** The loss (sum of the summed terms) and one tensor holding it and every term, for a single read-back. */
export interface LossReadout {
  readonly total: tf.Scalar
  /** `[total, ...terms]` in `names` order, or the total alone when it is the only term. */
  readonly readout: tf.Tensor
  readonly names: readonly string[]
  readonly reported: ReadonlySet<string>
}

export function sumLossParts(parts: LossParts, producer: string): LossReadout {
  const names = Object.keys(parts)
  const reported = new Set<string>()
  const summed: tf.Scalar[] = []
  const scalars: tf.Scalar[] = []
  for (const name of names) {
    const term = parts[name]!
    if (isReported(term)) {
      reported.add(name)
      scalars.push(term.reported)
    } else {
      summed.push(term)
      scalars.push(term)
    }
  }
  if (summed.length === 0) {
    throw new ContractError(
      names.length === 0 ? `${producer} returned no loss terms` : `${producer} returned only reported terms (${names.join(', ')}); at least one term must be summed into the loss`,
    )
  }
  const total = summed.length === 1 ? (summed[0] as tf.Scalar) : (tf.addN(summed) as tf.Scalar)
  const readout = names.length === 1 ? total : tf.stack([total, ...scalars])
  return { total, readout, names, reported }
}

/** Every loss term's value per step, aligned with the steps (NaN where a term was absent). */
export class LossTermLog {
  private readonly values = new Map<string, number[]>()
  private readonly reportedNames = new Set<string>()
  private steps = 0

  record(names: readonly string[], values: ArrayLike<number>, reported: ReadonlySet<string>): void {
    names.forEach((name, i) => {
      let column = this.values.get(name)
      if (!column) {
        column = new Array<number>(this.steps).fill(Number.NaN)
        this.values.set(name, column)
      }
      column.push(values[i] as number)
      if (reported.has(name)) this.reportedNames.add(name)
    })
    this.steps++
    for (const column of this.values.values()) if (column.length < this.steps) column.push(Number.NaN)
  }

  terms(): Record<string, number[]> {
    return Object.fromEntries(this.values)
  }

  reported(): string[] {
    return [...this.reportedNames]
  }

  /** The log as plain data, for checkpoints. */
  state(): { steps: number; values: Record<string, number[]>; reported: string[] } {
    return { steps: this.steps, values: Object.fromEntries([...this.values].map(([k, v]) => [k, [...v]])), reported: this.reported() }
  }

  loadState(state: ReturnType<LossTermLog['state']>): void {
    this.values.clear()
    for (const [k, v] of Object.entries(state.values)) this.values.set(k, [...v])
    this.reportedNames.clear()
    for (const name of state.reported) this.reportedNames.add(name)
    this.steps = state.steps
  }
}
