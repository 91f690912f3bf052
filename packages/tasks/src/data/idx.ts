import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { ConvergeError } from '@converge/core'

/**
 * An array read from an IDX file (the format of the MNIST family: a magic number naming the
 * element type and the number of dimensions, the dimensions as big-endian uint32, then the data).
 */
export interface IdxArray {
  /** Dimensions, outermost first (e.g. [60000, 28, 28] for images, [60000] for labels). */
  readonly dims: readonly number[]
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array
}

/** Element type codes of the IDX format and their sizes in bytes. */
const IDX_TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'ubyte', bytes: 1 },
  0x09: { name: 'byte', bytes: 1 },
  0x0b: { name: 'short', bytes: 2 },
  0x0c: { name: 'int', bytes: 4 },
  0x0d: { name: 'float', bytes: 4 },
  0x0e: { name: 'double', bytes: 8 },
}

/** Parses IDX bytes (already decompressed). `what` names the source in errors (a file path). */
export function parseIdx(bytes: Uint8Array, what: string): IdxArray {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.byteLength < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new ConvergeError(`${what}: not an IDX file (it must start with two zero bytes, a type code and a dimension count)`)
  }
  const typeCode = bytes[2] as number
  const type = IDX_TYPES[typeCode]
  if (!type) throw new ConvergeError(`${what}: unknown IDX element type 0x${typeCode.toString(16)} (known: ubyte, byte, short, int, float, double)`)
  const rank = bytes[3] as number
  const headerBytes = 4 + 4 * rank
  if (rank === 0 || bytes.byteLength < headerBytes) throw new ConvergeError(`${what}: IDX header is truncated or has no dimensions`)
  const dims: number[] = []
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false))
  const count = dims.reduce((a, b) => a * b, 1)
  const expected = headerBytes + count * type.bytes
  if (bytes.byteLength !== expected) {
    throw new ConvergeError(`${what}: IDX data has ${bytes.byteLength} bytes; dims [${dims.join(', ')}] of ${type.name} need ${expected}`)
  }
  if (typeCode === 0x08) return { dims, data: bytes.subarray(headerBytes, expected) }
  if (typeCode === 0x09) return { dims, data: new Int8Array(bytes.buffer, bytes.byteOffset + headerBytes, count) }
  // Wider types are big-endian on disk: read them element by element.
  const read =
    typeCode === 0x0b
      ? { out: new Int16Array(count), get: (o: number) => view.getInt16(o, false) }
      : typeCode === 0x0c
        ? { out: new Int32Array(count), get: (o: number) => view.getInt32(o, false) }
        : typeCode === 0x0d
          ? { out: new Float32Array(count), get: (o: number) => view.getFloat32(o, false) }
          : { out: new Float64Array(count), get: (o: number) => view.getFloat64(o, false) }
  for (let i = 0; i < count; i++) read.out[i] = read.get(headerBytes + i * type.bytes)
  return { dims, data: read.out }
}

/** Reads an IDX file, gunzipping it first when it is gzip-compressed (by its magic bytes, not its name). */
export function readIdxFile(path: string): IdxArray {
  const raw = readFileSync(path)
  const gzipped = raw.byteLength >= 2 && raw[0] === 0x1f && raw[1] === 0x8b
  let bytes: Uint8Array
  try {
    bytes = gzipped ? gunzipSync(raw) : raw
  } catch (e) {
    throw new ConvergeError(`${path}: gzip data is corrupt (${(e as Error).message})`)
  }
  return parseIdx(bytes, path)
}

/** Encodes a uint8 array as IDX bytes (uncompressed): used to write fixtures and a user's own data. */
export function encodeIdxUint8(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1)
  if (count !== data.length) throw new RangeError(`encodeIdxUint8: dims [${dims.join(', ')}] hold ${count} values, data has ${data.length}`)
  const out = new Uint8Array(4 + 4 * dims.length + count)
  const view = new DataView(out.buffer)
  out[2] = 0x08
  out[3] = dims.length
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false))
  out.set(data, 4 + 4 * dims.length)
  return out
}
