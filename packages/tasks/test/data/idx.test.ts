import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { encodeIdxUint8, parseIdx, readIdxFile } from '../../src/data/idx.js'

describe('IDX reader', () => {
  it('round-trips a ubyte array through encode, gzip and read', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256)
    const dir = mkdtempSync(join(tmpdir(), 'idx-'))
    const gz = join(dir, 'a.gz')
    const plain = join(dir, 'a')
    writeFileSync(gz, gzipSync(encodeIdxUint8([2, 3, 4], data)))
    writeFileSync(plain, encodeIdxUint8([2, 3, 4], data))
    for (const path of [gz, plain]) {
      const arr = readIdxFile(path)
      expect(arr.dims).toEqual([2, 3, 4])
      expect(Array.from(arr.data)).toEqual(Array.from(data))
    }
  })

  it('reads big-endian int32 and float32 arrays', () => {
    const bytes = new Uint8Array(4 + 4 + 8)
    const view = new DataView(bytes.buffer)
    bytes[2] = 0x0c
    bytes[3] = 1
    view.setUint32(4, 2, false)
    view.setInt32(8, -5, false)
    view.setInt32(12, 70000, false)
    expect(Array.from(parseIdx(bytes, 'ints').data)).toEqual([-5, 70000])
    bytes[2] = 0x0d
    view.setFloat32(8, 1.5, false)
    view.setFloat32(12, -0.25, false)
    expect(Array.from(parseIdx(bytes, 'floats').data)).toEqual([1.5, -0.25])
  })

  it('names the source and the mismatch when the data is truncated or not IDX', () => {
    const ok = encodeIdxUint8([3, 2], new Uint8Array(6))
    expect(() => parseIdx(ok.subarray(0, ok.length - 1), 'x.idx')).toThrow(/x\.idx: IDX data has 17 bytes; dims \[3, 2\] of ubyte need 18/)
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4]), 'y.idx')).toThrow(/y\.idx: not an IDX file/)
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 0]), 'z.idx')).toThrow(/unknown IDX element type 0x42/)
  })
})
