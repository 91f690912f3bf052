import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FASHION_MNIST_DIR_ENV, findFashionMnist, loadFashionMnist } from '../../src/data/fashion-mnist.js'
import { FASHION_MNIST_FIXTURE_DIR } from '../fixtures/fashion-mnist.js'

describe('Fashion-MNIST loader', () => {
  it('reads the shipped fixture of real images: 200 train and 100 test, balanced classes', () => {
    const { train, test } = loadFashionMnist({ dir: FASHION_MNIST_FIXTURE_DIR })
    expect([train.count, train.height, train.width, train.channels, train.classes]).toEqual([200, 28, 28, 1, 10])
    expect(test.count).toBe(100)
    const perClass = new Array(10).fill(0)
    for (const l of train.labels) perClass[l]++
    expect(perClass).toEqual(new Array(10).fill(20))
    // Real photos of clothing: dark background corners, a bright object in the middle.
    let corner = 0
    let centre = 0
    for (let i = 0; i < train.count; i++) {
      corner += train.images[i * 784] as number
      centre += train.images[i * 784 + 14 * 28 + 14] as number
    }
    expect(corner / train.count).toBeLessThan(5)
    expect(centre / train.count).toBeGreaterThan(60)
  })

  it('takes the folder from the environment variable when no dir is given', () => {
    expect(findFashionMnist({}, { [FASHION_MNIST_DIR_ENV]: FASHION_MNIST_FIXTURE_DIR })).toBe(FASHION_MNIST_FIXTURE_DIR)
  })

  it('says where it looked and how to install the data when the files are missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-fmnist-'))
    expect(() => findFashionMnist({ dir: empty }, {})).toThrow(new RegExp(`looked in ${empty} \\(the dir option\\).*sudo apt-get install dataset-fashion-mnist`))
    expect(() => findFashionMnist({}, { [FASHION_MNIST_DIR_ENV]: empty })).toThrow(/\$CONVERGE_FASHION_MNIST_DIR/)
    // A named folder is the only one looked in, even where another copy exists.
    expect(() => loadFashionMnist({ dir: empty })).toThrow(/Fashion-MNIST not found/)
  })

  it('rejects unknown options, naming them', () => {
    expect(() => findFashionMnist({ folder: 'x' } as never, {})).toThrow(/unknown option "folder"/)
  })
})
