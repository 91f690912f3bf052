import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ExportError, exportModel, exportWeights, loadWeights, train, type SeedStreams, type TaskDefinition, type TaskInstance } from '../src/index.js'
import { numTensors, smallTask } from './helpers.js'

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/export/load-exported.ts')
let dir: string
beforeEach(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-export-'))))
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Runs the loader in a fresh Node process and parses what it prints. */
function inFreshProcess(...args: string[]): unknown {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: path.dirname(script), encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`loader failed (${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!)
}

/** A task around a tf.sequential model: 4 inputs, 3 classes, random data. */
function layersTask(hold: { model?: tf.Sequential }): TaskDefinition {
  return {
    name: 'layers-task',
    options: {},
    target: { metric: 'loss', direction: 'min', value: 0 },
    optimizer: { name: 'adam', learningRate: 0.01 },
    create: async ({ streams }: { streams: SeedStreams }) => {
      const rng = streams.stream('init')
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: rng.int(1e6) + 1 }) }), tf.layers.dense({ units: 3, name: 'out', kernelInitializer: tf.initializers.glorotUniform({ seed: rng.int(1e6) + 1 }) })] })
      hold.model = model
      const x = tf.randomNormal([16, 4], 0, 1, 'float32', 3)
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3)
      const loss = (logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar
      const instance: TaskInstance = {
        variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
        batch: ({ sources }) => ({ sources }),
        forward: () => ({ logits: model.apply(x) as tf.Tensor }),
        loss: (out) => ({ ce: loss((out as { logits: tf.Tensor }).logits) }),
        evaluate: async () => ({ loss: tf.tidy(() => loss(model.predict(x) as tf.Tensor).dataSync()[0]!) }),
        dispose: () => {
          model.dispose()
          tf.dispose([x, y])
        },
      }
      return instance
    },
  } as unknown as TaskDefinition
}

describe('export', () => {
  it("writes any task's trained variables as a tf.io weights manifest + binary that plain tfjs reads in a fresh process", async () => {
    let trained: Record<string, number[]> = {}
    await train({
      task: smallTask(),
      maxSteps: 5,
      backend: 'cpu',
      onEnd: async (_r, ctx) => {
        trained = Object.fromEntries(ctx.variables.map((v) => [v.name.replace(/^run\d+\//, ''), Array.from(v.dataSync())]))
        await exportWeights(ctx.variables, dir)
      },
    })
    expect(fs.readdirSync(dir).sort()).toEqual(['weights.bin', 'weights.json'])
    const loaded = inFreshProcess('weights', dir) as Record<string, { shape: number[]; values: number[] }>
    expect(Object.keys(loaded)).toEqual(['dense1/kernel', 'dense1/bias', 'dense2/kernel', 'dense2/bias'])
    expect(loaded['dense1/kernel']!.shape).toEqual([8, 16])
    for (const [name, values] of Object.entries(trained)) expect(loaded[name]!.values).toEqual(values)
    // and back in this process, with nothing left behind
    const before = numTensors()
    const back = loadWeights(dir)
    expect(Array.from(back['dense2/bias']!.dataSync())).toEqual(trained['dense2/bias'])
    tf.dispose(Object.values(back))
    expect(numTensors()).toBe(before)
  })

  it('saves a tf.LayersModel task as model.json + weights.bin that tf.loadLayersModel loads in a fresh process', async () => {
    const hold: { model?: tf.Sequential } = {}
    const input = [[0.5, -1, 2, 0.1], [1, 1, -1, 0]]
    let predicted: number[][] = []
    await train({
      task: layersTask(hold),
      maxSteps: 5,
      backend: 'cpu',
      onEnd: async () => {
        predicted = tf.tidy(() => (hold.model!.predict(tf.tensor2d(input)) as tf.Tensor).arraySync() as number[][])
        await exportModel(hold.model!, dir)
      },
    })
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin'])
    const loaded = inFreshProcess('model', dir, JSON.stringify(input)) as number[][]
    loaded.flat().forEach((v, i) => expect(v).toBeCloseTo(predicted.flat()[i]!, 6))
  })

  it('reports a missing or damaged file by name', async () => {
    const w = tf.tensor([1, 2, 3])
    await exportWeights({ w }, dir)
    w.dispose()
    fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(4))
    expect(() => loadWeights(dir)).toThrow(/weights file .*weights.bin holds 4 bytes; .*weights.json describes 12/)
    expect(() => loadWeights(path.join(dir, 'none'))).toThrow(ExportError)
  })
})
