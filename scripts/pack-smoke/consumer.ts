// Type-checked with the settings of `tsc --init`: the packed declarations must serve a plain project.
import * as tf from '@tensorflow/tfjs'
import { defineTrick, train, type RunResult, type Trick, type TrainOptions } from '@converge/core'
import { defineSuite, type BenchSuite } from '@converge/core/suite'
import { charLm, type CharLmOptions } from '@converge/tasks'
import { frugal, type FrugalOptions } from '@converge/frugal'
import { frugalSuite } from '@converge/frugal/bench'

const taskOptions: CharLmOptions = { vocab: 8, contextLength: 4 }
const frugalOptions: FrugalOptions = { density: 0.25, subspace: 'columns' }

/** A trick written in the consumer's project: halves every gradient. */
const halveGradients = (): Trick =>
  defineTrick({
    name: 'halve-gradients',
    afterBackward(_ctx, grads) {
      const out: tf.NamedTensorMap = {}
      for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, 0.5)
      return out
    },
  })

const options: TrainOptions = { task: charLm(taskOptions), tricks: [frugal(frugalOptions), halveGradients()], maxSteps: 10 }
const suite: BenchSuite = defineSuite({ ...frugalSuite, name: 'frugal-copy' })

export async function run(): Promise<number> {
  const result: RunResult = await train(options)
  return result.steps + suite.arms.length
}
