import * as tf from '@tensorflow/tfjs'
import { describeValue } from '../describe-value.js'
import { ContractError } from '../errors.js'
import type { Trick } from '../trick.js'

/**
 * What an `afterBackward` hook returned: gradients keyed by names of the variables being trained,
 * each a tensor of its variable's shape. Caught here, the mistake is named with the trick; past
 * here, tfjs fails deep in the optimizer ("passed to 'zerosLike' must be a Tensor").
 */
export function gradChecker(original: tf.NamedTensorMap): (grads: tf.NamedTensorMap, trick: Trick) => void {
  const names = Object.keys(original)
  return (grads, trick) => {
    const who = `trick "${trick.name}": afterBackward`
    if (!grads || typeof grads !== 'object') throw new ContractError(`${who} returned ${describeValue(grads)}; expected a map from variable name to gradient`)
    for (const [name, g] of Object.entries(grads)) {
      const want = original[name]
      if (!want) {
        throw new ContractError(`${who} returned a gradient for "${name}", which is not a variable being trained (variables: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`)
      }
      if (!(g instanceof tf.Tensor)) throw new ContractError(`${who} returned ${describeValue(g)} for "${name}"; expected a tensor`)
      if (!tf.util.arraysEqual(g.shape, want.shape)) throw new ContractError(`${who} returned a gradient of shape [${g.shape}] for "${name}", whose gradient has shape [${want.shape}]`)
    }
  }
}
