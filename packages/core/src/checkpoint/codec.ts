import * as tf from '@tensorflow/tfjs'
import { CheckpointError } from './errors.js'

/** A tensor's bytes as a checkpoint stores them. */
export interface TensorRecord {
  readonly dtype: tf.DataType
  readonly shape: readonly number[]
  readonly values: Float32Array | Int32Array | Uint8Array
}

/**
 * Turns a state snapshot (JSON values, typed arrays, `tf.Tensor`s, at any depth) into JSON-safe
 * data plus a list of tensors. Numbers survive exactly: JSON writes finite doubles round-trip, and
 * NaN, ±Infinity and -0 (which JSON would turn into null or 0) are tagged. Anything else (a Map, a
 * class instance, a function) is an error naming where it sits, not a silently dropped field.
 */
export async function encodeState(value: unknown, where: string, tensors: TensorRecord[]): Promise<unknown> {
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw new CheckpointError(`${where} is a disposed tensor; state() must return live tensors (copies the caller owns)`)
    const values = (await value.data()) as TensorRecord['values']
    tensors.push({ dtype: value.dtype, shape: value.shape, values })
    return { $tensor: tensors.length - 1 }
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $num: 'NaN' }
    if (value === Infinity) return { $num: 'Infinity' }
    if (value === -Infinity) return { $num: '-Infinity' }
    if (Object.is(value, -0)) return { $num: '-0' }
    return value
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (value === undefined) return { $undefined: true }
  if (value instanceof Float32Array || value instanceof Int32Array) {
    // Stored as binary next to the tensors: large per-step logs (losses) stay cheap to write.
    tensors.push({ dtype: value instanceof Float32Array ? 'float32' : 'int32', shape: [value.length], values: value })
    return { $array: tensors.length - 1 }
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const typed = value as unknown as ArrayLike<number> & { constructor: { name: string } }
    return { $typed: typed.constructor.name, values: await encodeState(Array.from(typed), where, tensors) }
  }
  if (Array.isArray(value)) {
    const out: unknown[] = []
    for (let i = 0; i < value.length; i++) out.push(await encodeState(value[i], `${where}[${i}]`, tensors))
    return out
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      throw new CheckpointError(`${where} is a ${proto?.constructor?.name ?? 'non-plain object'}; state may hold only JSON values, typed arrays and tensors`)
    }
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('$')) throw new CheckpointError(`${where}: key "${k}" starts with "$", which checkpoints reserve for tags`)
      out[k] = await encodeState(v, `${where}.${k}`, tensors)
    }
    return out
  }
  throw new CheckpointError(`${where} is a ${typeof value}; state may hold only JSON values, typed arrays and tensors`)
}

const TYPED: Record<string, new (values: number[]) => ArrayLike<number>> = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Uint8ClampedArray,
}

/** Rebuilds a snapshot `encodeState` wrote; tensors are made fresh (the caller frees them with `disposeTensors`). */
export function decodeState(value: unknown, tensors: readonly TensorRecord[], made: tf.Tensor[]): unknown {
  if (Array.isArray(value)) return value.map((v) => decodeState(v, tensors, made))
  if (value === null || typeof value !== 'object') return value
  const v = value as Record<string, unknown>
  if (typeof v.$tensor === 'number') {
    const r = tensors[v.$tensor]
    if (!r) throw new CheckpointError(`checkpoint state refers to tensor ${v.$tensor}, which the checkpoint does not hold`)
    const t = tf.tensor(r.values, r.shape as number[], r.dtype)
    made.push(t)
    return t
  }
  if (typeof v.$array === 'number') {
    const r = tensors[v.$array]
    if (!r || (r.dtype !== 'float32' && r.dtype !== 'int32')) throw new CheckpointError(`checkpoint state refers to array ${v.$array}, which the checkpoint does not hold`)
    return r.dtype === 'float32' ? Float32Array.from(r.values) : Int32Array.from(r.values)
  }
  if (typeof v.$num === 'string') return Number(v.$num === '-0' ? -0 : v.$num)
  if (v.$undefined === true) return undefined
  if (typeof v.$typed === 'string') {
    const ctor = TYPED[v.$typed]
    if (!ctor) throw new CheckpointError(`checkpoint state holds an unknown typed array "${v.$typed}"`)
    return new ctor(decodeState(v.values, tensors, made) as number[])
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeState(x, tensors, made)]))
}

/** Frees every tensor in a snapshot (state() hands out copies the caller owns). */
export function disposeTensors(value: unknown): void {
  if (value instanceof tf.Tensor) value.dispose()
  else if (Array.isArray(value)) value.forEach(disposeTensors)
  else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) Object.values(value).forEach(disposeTensors)
}
