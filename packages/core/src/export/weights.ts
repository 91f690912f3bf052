import * as fs from 'node:fs'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { ExportError, fileHandler, readWeightsData } from './file-handler.js'
import { makeDir } from '../files/make-dir.js'

/** A run's variables are named `run<N>/<name>`; exported names drop the run prefix so they are the same in every program. */
export const exportedName = (variableName: string): string => variableName.replace(/^run\d+\//, '')

/**
 * Writes trained variables in tf.io's weights format: `weights.json` (a weights manifest,
 * `[{ paths: ['weights.bin'], weights: [{ name, shape, dtype }] }]`) and `weights.bin` (the values,
 * in manifest order). Any program reads them back with `tf.io.decodeWeights(bytes, manifest[0].weights)`
 * or `loadWeights(dir)`. Names drop the run prefix (`dense1/kernel`); two variables with the same
 * exported name are an error. Call it from `onEnd`, where the run's variables are still alive.
 */
export async function exportWeights(variables: readonly tf.Variable[] | tf.NamedTensorMap, dir: string): Promise<{ names: string[]; bytes: number }> {
  const named: tf.NamedTensorMap = {}
  const entries: [string, tf.Tensor][] = Array.isArray(variables) ? variables.map((v) => [exportedName(v.name), v]) : Object.entries(variables)
  for (const [name, t] of entries) {
    if (name in named) throw new ExportError(`two variables export as "${name}"; give the variables distinct names`)
    named[name] = t
  }
  const { data, specs } = await tf.io.encodeWeights(named)
  makeDir(dir, 'export folder')
  fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(data))
  fs.writeFileSync(path.join(dir, 'weights.json'), `${JSON.stringify([{ paths: ['weights.bin'], weights: specs }])}\n`)
  return { names: Object.keys(named), bytes: data.byteLength }
}

/** Reads what `exportWeights` wrote: the tensors by name (the caller owns and frees them). */
export function loadWeights(dir: string): tf.NamedTensorMap {
  const file = path.join(dir, 'weights.json')
  let manifest: unknown
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    throw new ExportError(`cannot read weights manifest ${file}: ${(e as Error).message}`)
  }
  const { specs, data } = readWeightsData(dir, manifest, file)
  return tf.io.decodeWeights(data, specs)
}

/** Saves a `tf.LayersModel` as `model.json` + `weights.bin` in `dir` (what `tf.loadLayersModel(fileHandler(dir))` loads). */
export async function exportModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileHandler(dir))
}
