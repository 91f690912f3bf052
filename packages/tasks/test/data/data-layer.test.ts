import * as tf from '@tensorflow/tfjs'
import { createRng, SeedStreams } from '@converge/core'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  EpochSampler,
  fromTfDataset,
  imageBatch,
  loadFashionMnist,
  oneHot,
  padImages,
  resizeArea,
  splitImages,
  splitIndices,
  subset,
  toTfDataset,
  wholeSet,
  type LabelledImages,
} from '../../src/data/index.js'
import { FASHION_MNIST_FIXTURE_DIR } from '../fixtures/fashion-mnist.js'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const fixture = (): LabelledImages => loadFashionMnist({ dir: FASHION_MNIST_FIXTURE_DIR }).train

describe('EpochSampler', () => {
  it('visits every example once per epoch, in an order set by the run seed', () => {
    const draw = (seed: number): number[] => {
      const sampler = new EpochSampler(10)
      const rng = new SeedStreams(seed).stream('data')
      return [...sampler.next(rng, 'main', 7), ...sampler.next(rng, 'main', 13)]
    }
    const a = draw(1)
    expect(draw(1)).toEqual(a)
    expect(draw(2)).not.toEqual(a)
    expect([...a.slice(0, 10)].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect([...a.slice(10, 20)].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(a.slice(10, 20)).not.toEqual(a.slice(0, 10)) // a fresh shuffle each epoch
  })

  it('keeps one cursor per stream and resumes from state()', () => {
    const rng = createRng('s')
    const sampler = new EpochSampler(50)
    const first = Array.from(sampler.next(rng, 'main', 20))
    sampler.next(createRng('phase'), 'phase:warmup', 30)
    const saved = sampler.state()
    const rngState = rng.state()
    const cont = Array.from(sampler.next(rng, 'main', 40))
    const restored = new EpochSampler(50)
    restored.loadState(saved)
    rng.loadState(rngState)
    expect(Array.from(restored.next(rng, 'main', 40))).toEqual(cont)
    // The phase's draws did not move main: main's first epoch continues where it stopped.
    expect(new Set([...first, ...cont.slice(0, 30)]).size).toBe(50)
  })
})

describe('splits', () => {
  it('are disjoint, cover every example, and are fixed by their seed', () => {
    const s = splitIndices(1000, { validation: 0.1, test: 50, seed: 3 })
    expect([s.train.length, s.validation.length, s.test.length]).toEqual([850, 100, 50])
    const all = new Set([...s.train, ...s.validation, ...s.test])
    expect(all.size).toBe(1000)
    expect(splitIndices(1000, { validation: 0.1, test: 50, seed: 3 }).validation).toEqual(s.validation)
    expect(splitIndices(1000, { validation: 0.1, test: 50, seed: 4 }).validation).not.toEqual(s.validation)
    expect(() => splitIndices(10, { validation: 6, test: 4, seed: 1 })).toThrow(/leave no training examples/)
  })

  it('split images keep each image with its label', () => {
    const set = fixture()
    const { train, validation } = splitImages(set, { validation: 40, seed: 1 })
    expect(train.count + validation.count).toBe(200)
    const idx = splitIndices(200, { validation: 40, seed: 1 }).validation
    const first = idx[0] as number
    expect(validation.labels[0]).toBe(set.labels[first])
    expect(Array.from(validation.images.subarray(0, 784))).toEqual(Array.from(set.images.subarray(first * 784, (first + 1) * 784)))
  })
})

describe('resizing', () => {
  it('area-averages 28→16 preserving the mean brightness, and 28→14 is exact 2×2 means', () => {
    const set = subset(fixture(), [0, 1, 2])
    const small = resizeArea(set, 16, 16)
    expect([small.height, small.width, small.images.length]).toEqual([16, 16, 3 * 256])
    for (let n = 0; n < 3; n++) {
      const mean = (a: ArrayLike<number>, from: number, len: number): number => {
        let s = 0
        for (let i = 0; i < len; i++) s += a[from + i] as number
        return s / len
      }
      expect(mean(small.images, n * 256, 256)).toBeCloseTo(mean(set.images, n * 784, 784), 3)
    }
    const half = resizeArea(set, 14, 14)
    const p = (y: number, x: number): number => set.images[y * 28 + x] as number
    expect(half.images[3 * 14 + 5]).toBeCloseTo((p(6, 10) + p(6, 11) + p(7, 10) + p(7, 11)) / 4, 4)
  })

  it('pads 28→32 centred with the fill value', () => {
    const set = subset(fixture(), [5])
    const padded = padImages(set, 32, 32)
    expect(padded.images).toBeInstanceOf(Uint8Array)
    expect(padded.images[0]).toBe(0)
    expect(padded.images[2 * 32 + 2 + 14]).toBe(set.images[14])
    expect(padded.images[(2 + 27) * 32 + 2 + 27]).toBe(set.images[27 * 28 + 27])
    expect(padded.images[30 * 32 + 30]).toBe(0)
  })
})

describe('image batches', () => {
  it('are deterministic under augmentation for a given stream position, and differ from the plain batch', () => {
    const set = fixture()
    const idx = [0, 11, 42, 100]
    const make = (seed: string): Float32Array => {
      const b = imageBatch(set, idx, { augment: { cropPadding: 2, flip: true }, rng: createRng(seed) })
      const v = b.x.dataSync() as Float32Array
      tf.dispose([b.x, b.y])
      return v
    }
    const plain = imageBatch(set, idx)
    const plainX = plain.x.dataSync()
    expect(Array.from(plain.labels)).toEqual(idx.map((i) => set.labels[i]))
    expect(Array.from(plain.y.argMax(1).dataSync())).toEqual(Array.from(plain.labels))
    tf.dispose([plain.x, plain.y])
    const a = make('aug')
    expect(Array.from(make('aug'))).toEqual(Array.from(a))
    expect(Array.from(make('other'))).not.toEqual(Array.from(a))
    expect(Array.from(a)).not.toEqual(Array.from(plainX))
    // A crop shifts pixels, it does not invent them: the values are from the image or the fill.
    const allowed = new Set([0, ...Array.from(plainX.subarray(0, 784))])
    for (const v of a.subarray(0, 784)) expect(allowed.has(v)).toBe(true)
  })

  it('scale and shift map bytes to [-1, 1]', () => {
    const b = imageBatch(fixture(), [0], { scale: 2 / 255, shift: -1 })
    const v = b.x.dataSync()
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1)
    expect(Math.max(...v)).toBeLessThanOrEqual(1)
    expect(v[0]).toBe(-1)
    tf.dispose([b.x, b.y])
  })

  it('leave no tensors behind once the caller disposes the batch', () => {
    const set = fixture()
    const before = tf.memory().numTensors
    for (let i = 0; i < 5; i++) {
      const b = imageBatch(set, [i, i + 1], { augment: { flip: true }, rng: createRng(String(i)) })
      const e = wholeSet(set)
      const h = oneHot([1, 2], 3)
      tf.dispose([b.x, b.y, e.x, e.y, h])
    }
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('tf.data interop', () => {
  it('round-trips a set through toTfDataset and fromTfDataset, unbatched and batched, without leaks', async () => {
    const set = subset(fixture(), Array.from({ length: 30 }, (_, i) => i))
    const before = tf.memory().numTensors
    const back = await fromTfDataset(toTfDataset(set, { scale: 1 }), { classes: 10 })
    const batched = await fromTfDataset(toTfDataset(set, { scale: 1 }).batch(8), { classes: 10 })
    expect(tf.memory().numTensors).toBe(before)
    for (const got of [back, batched]) {
      expect([got.count, got.height, got.width, got.channels]).toEqual([30, 28, 28, 1])
      expect(Array.from(got.labels)).toEqual(Array.from(set.labels))
      expect(Array.from(got.images)).toEqual(Array.from(set.images))
    }
  })

  it('takes [xs, ys] elements with integer labels and 2-D images', async () => {
    const ds = tf.data.array([0, 1, 2]).map((i) => {
      const v = i as unknown as number
      return [tf.fill([4, 5], v), tf.scalar(v, 'int32')] as unknown as tf.TensorContainer
    })
    const got = await fromTfDataset(ds, { classes: 3 })
    expect([got.count, got.height, got.width, got.channels]).toEqual([3, 4, 5, 1])
    expect(Array.from(got.labels)).toEqual([0, 1, 2])
    expect(got.images[20]).toBe(1)
  })

  it('names the element whose labels do not fit', async () => {
    const ds = tf.data.array([{ xs: tf.zeros([2, 2]), ys: tf.tensor1d([0, 1, 0]) }])
    await expect(fromTfDataset(ds as never, { classes: 10 })).rejects.toThrow(/element 0: ys \[3\] does not hold 1 label\(s\) of 10 classes/)
  })
})
