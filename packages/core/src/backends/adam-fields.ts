import * as tf from '@tensorflow/tfjs'

/** The fields of tfjs's AdamOptimizer that core's fused Adam updates read (private in its typings). */
export interface AdamFields {
  learningRate: number
  beta1: number
  beta2: number
  epsilon: number
  accBeta1: tf.Variable
  accBeta2: tf.Variable
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[]
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[]
  incrementIterations(): void
}

/** The moment slots, created as tfjs's Adam creates them (same names, same order), where missing. */
export function ensureMomentSlots(self: AdamFields, names: readonly string[], values: readonly tf.Variable[]): void {
  values.forEach((value, i) => {
    const name = names[i]!
    self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) }
    self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) }
  })
}
