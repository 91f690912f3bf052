import * as fs from 'node:fs'
import * as path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { ConvergeError } from '../errors.js'
import { makeDir } from '../files/make-dir.js'

/** A model or weights file that is missing, unreadable or inconsistent. */
export class ExportError extends ConvergeError {
  override name = 'ExportError'
}

type WeightsManifest = { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw new ExportError(`cannot read ${file}: ${(e as Error).message}`)
  }
}

/** Reads the one weights file a manifest names and checks its size against the manifest. */
export function readWeightsData(dir: string, manifest: unknown, from: string): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const m = manifest as WeightsManifest
  if (!Array.isArray(m) || m.length !== 1 || !Array.isArray(m[0]?.paths) || m[0].paths.length !== 1 || !Array.isArray(m[0].weights)) {
    throw new ExportError(`${from} has no single-file weights manifest ([{ paths: [file], weights: [...] }])`)
  }
  const file = path.join(dir, m[0].paths[0]!)
  let bytes: Buffer
  try {
    bytes = fs.readFileSync(file)
  } catch (e) {
    throw new ExportError(`cannot read weights file ${file}: ${(e as Error).message}`)
  }
  const specs = m[0].weights
  const size = (s: tf.io.WeightsManifestEntry) => s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'bool' ? 1 : 4)
  const expected = specs.reduce((sum, s) => sum + size(s), 0)
  if (bytes.byteLength !== expected) throw new ExportError(`weights file ${file} holds ${bytes.byteLength} bytes; ${from} describes ${expected}`)
  return { specs, data: new Uint8Array(bytes).slice().buffer }
}

/**
 * A tfjs IOHandler on `node:fs` for a directory with `model.json` (topology and weights manifest:
 * the format `tf.loadLayersModel` reads) and `weights.bin`: `model.save(fileHandler(dir))`, and in
 * any other program `tf.loadLayersModel(fileHandler(dir))`. Errors name the file.
 */
export function fileHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      makeDir(dir, 'export folder')
      const data = artifacts.weightData
      const bytes = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      }
      fs.writeFileSync(path.join(dir, 'model.json'), `${JSON.stringify(json)}\n`)
      fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(bytes))
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const file = path.join(dir, 'model.json')
      let json: { format?: string; generatedBy?: string; convertedBy?: string; modelTopology?: object; trainingConfig?: tf.io.TrainingConfig; weightsManifest?: unknown }
      try {
        json = JSON.parse(readText(file)) as typeof json
      } catch (e) {
        throw e instanceof ExportError ? e : new ExportError(`${file} is not valid JSON: ${(e as Error).message}`)
      }
      const { specs, data } = readWeightsData(dir, json.weightsManifest, file)
      return {
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        modelTopology: json.modelTopology,
        ...(json.trainingConfig ? { trainingConfig: json.trainingConfig } : {}),
        weightSpecs: specs,
        weightData: data,
      }
    },
  }
}
