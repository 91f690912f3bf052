import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'

/**
 * A tfjs IOHandler over a directory holding `model.json` (topology + weights manifest, the format
 * `tf.loadLayersModel` reads) and one `weights.bin`. Works for `LayersModel.save` and
 * `tf.loadLayersModel`, and for plain named weights through `saveNamedWeights` / `loadNamedWeights`.
 * A missing, unreadable or inconsistent file is an error that names the file.
 */
export function directoryHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      mkdirSync(dir, { recursive: true })
      const data = artifacts.weightData
      const bytes = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      }
      writeFileSync(join(dir, 'model.json'), `${JSON.stringify(json)}\n`)
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(bytes))
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = join(dir, 'model.json')
      let text: string
      try {
        text = readFileSync(jsonPath, 'utf8')
      } catch (e) {
        throw new Error(`cannot read model file ${jsonPath}: ${(e as Error).message}`)
      }
      let json: { format?: string; generatedBy?: string; modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] }
      try {
        json = JSON.parse(text) as typeof json
      } catch (e) {
        throw new Error(`model file ${jsonPath} is not valid JSON: ${(e as Error).message}`)
      }
      const manifest = json.weightsManifest
      if (!Array.isArray(manifest) || manifest.length !== 1 || manifest[0]?.paths?.length !== 1) {
        throw new Error(`model file ${jsonPath} has no single-file weights manifest`)
      }
      const weightsPath = join(dir, manifest[0].paths[0]!)
      let buffer: Buffer
      try {
        buffer = readFileSync(weightsPath)
      } catch (e) {
        throw new Error(`cannot read weights file ${weightsPath}: ${(e as Error).message}`)
      }
      const specs = manifest[0].weights
      const expected = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4, 0)
      if (specs.some((s) => s.dtype !== 'float32' && s.dtype !== 'int32')) throw new Error(`weights file ${weightsPath}: only float32/int32 weights are supported`)
      if (buffer.byteLength !== expected) {
        throw new Error(`weights file ${weightsPath} is corrupt: ${buffer.byteLength} bytes, the manifest in ${jsonPath} describes ${expected}`)
      }
      return {
        format: json.format,
        generatedBy: json.generatedBy,
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: new Uint8Array(buffer).slice().buffer,
      }
    },
  }
}

/** Saves a map of named tensors (and a JSON description of the network) as model.json + weights.bin. */
export async function saveNamedWeights(dir: string, topology: object, weights: tf.NamedTensorMap): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(weights)
  await directoryHandler(dir).save!({ format: 'converge-weights', generatedBy: `TensorFlow.js v${tf.version.tfjs}`, modelTopology: topology, weightSpecs: specs, weightData: data })
}

/** Loads what `saveNamedWeights` wrote: the topology JSON and the named tensors (the caller owns them). */
export async function loadNamedWeights(dir: string): Promise<{ topology: Record<string, unknown>; weights: tf.NamedTensorMap }> {
  const artifacts = await directoryHandler(dir).load!()
  if (!artifacts.weightSpecs || artifacts.weightData === undefined) throw new Error(`${join(dir, 'model.json')} holds no weights`)
  return { topology: (artifacts.modelTopology ?? {}) as Record<string, unknown>, weights: tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs) }
}
