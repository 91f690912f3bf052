/**
 * Just enough of the WebAssembly binary format to emit a small kernel module by hand: opcodes as
 * byte arrays, LEB128 immediates, and a module of one function that imports its memory (tfjs's
 * WASM heap), so the kernel reads and writes tensors where they lie. No dependency, no build step.
 */

export type Bytes = number[]

export function uleb(value: number): Bytes {
  const out: Bytes = []
  let v = value >>> 0
  do {
    const byte = v & 0x7f
    v >>>= 7
    out.push(v === 0 ? byte : byte | 0x80)
  } while (v !== 0)
  return out
}

export function sleb(value: number): Bytes {
  const out: Bytes = []
  let v = value | 0
  for (;;) {
    const byte = v & 0x7f
    v >>= 7
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

const name = (s: string): Bytes => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))]
const vec = (items: Bytes[]): Bytes => [...uleb(items.length), ...items.flat()]
const section = (id: number, body: Bytes): Bytes => [id, ...uleb(body.length), ...body]

export const I32 = 0x7f
export const F32 = 0x7d
export const F64 = 0x7c
export const V128 = 0x7b
const VOID = 0x40
const SIMD = 0xfd
/** memarg for 4-byte aligned accesses (the hint only; tfjs's buffers are 8-byte aligned). */
const mem = (offset: number): Bytes => [2, ...uleb(offset)]

/** Instructions used by the kernels (each returns its bytes, so bodies are written as nested arrays). */
export const op = {
  block: (): Bytes => [0x02, VOID],
  loop: (): Bytes => [0x03, VOID],
  if: (): Bytes => [0x04, VOID],
  else: (): Bytes => [0x05],
  end: (): Bytes => [0x0b],
  br: (depth: number): Bytes => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Bytes => [0x0d, ...uleb(depth)],
  select: (): Bytes => [0x1b],
  get: (local: number): Bytes => [0x20, ...uleb(local)],
  set: (local: number): Bytes => [0x21, ...uleb(local)],
  i32: (value: number): Bytes => [0x41, ...sleb(value)],
  i32Eqz: (): Bytes => [0x45],
  i32LtS: (): Bytes => [0x48],
  i32LtU: (): Bytes => [0x49],
  i32GtU: (): Bytes => [0x4b],
  i32GeS: (): Bytes => [0x4e],
  i32GeU: (): Bytes => [0x4f],
  f32Lt: (): Bytes => [0x5d],
  f32Gt: (): Bytes => [0x5e],
  f32Le: (): Bytes => [0x5f],
  f32Ge: (): Bytes => [0x60],
  i32Add: (): Bytes => [0x6a],
  i32Sub: (): Bytes => [0x6b],
  i32Mul: (): Bytes => [0x6c],
  i32And: (): Bytes => [0x71],
  i32Shl: (): Bytes => [0x74],
  f32: (value: number): Bytes => [0x43, ...new Uint8Array(Float32Array.of(value).buffer)],
  i32Load: (offset = 0): Bytes => [0x28, ...mem(offset)],
  i32Store: (offset = 0): Bytes => [0x36, ...mem(offset)],
  f32Load: (offset = 0): Bytes => [0x2a, ...mem(offset)],
  f32Store: (offset = 0): Bytes => [0x38, ...mem(offset)],
  f32Sqrt: (): Bytes => [0x91],
  f32Add: (): Bytes => [0x92],
  f32Sub: (): Bytes => [0x93],
  f32Mul: (): Bytes => [0x94],
  f32Div: (): Bytes => [0x95],
  f64: (value: number): Bytes => [0x44, ...new Uint8Array(Float64Array.of(value).buffer)],
  f64Mul: (): Bytes => [0xa2],
  f64Div: (): Bytes => [0xa3],
  f32DemoteF64: (): Bytes => [0xb6],
  f64PromoteF32: (): Bytes => [0xbb],
  v128Load: (offset = 0): Bytes => [SIMD, ...uleb(0x00), ...mem(offset)],
  v128Store: (offset = 0): Bytes => [SIMD, ...uleb(0x0b), ...mem(offset)],
  v128Zero: (): Bytes => [SIMD, ...uleb(0x0c), ...new Array<number>(16).fill(0)],
  /** v128.const of four i32 lanes */
  i32x4Const: (lanes: [number, number, number, number]): Bytes => [SIMD, ...uleb(0x0c), ...new Uint8Array(Int32Array.from(lanes).buffer)],
  i32x4Splat: (): Bytes => [SIMD, ...uleb(0x11)],
  i32x4ExtractLane: (lane: number): Bytes => [SIMD, ...uleb(0x1b), lane],
  i32x4Add: (): Bytes => [SIMD, ...uleb(0xae)],
  f32x4Lt: (): Bytes => [SIMD, ...uleb(0x43)],
  f32x4Gt: (): Bytes => [SIMD, ...uleb(0x44)],
  f32x4Le: (): Bytes => [SIMD, ...uleb(0x45)],
  f32x4Ge: (): Bytes => [SIMD, ...uleb(0x46)],
  v128And: (): Bytes => [SIMD, ...uleb(0x4e)],
  v128Or: (): Bytes => [SIMD, ...uleb(0x50)],
  v128Bitselect: (): Bytes => [SIMD, ...uleb(0x52)],
  f32x4Splat: (): Bytes => [SIMD, ...uleb(0x13)],
  f32x4Sqrt: (): Bytes => [SIMD, ...uleb(0xe3)],
  f32x4Add: (): Bytes => [SIMD, ...uleb(0xe4)],
  f32x4Sub: (): Bytes => [SIMD, ...uleb(0xe5)],
  f32x4Mul: (): Bytes => [SIMD, ...uleb(0xe6)],
  f32x4Div: (): Bytes => [SIMD, ...uleb(0xe7)],
}

/**
 * A module exporting one function `exportName(params)` (value types, e.g. [I32, F32]) with the
 * given extra locals and body, importing its memory as env.memory.
 */
export function kernelModule(exportName: string, params: number[], locals: number[], body: Bytes): Uint8Array {
  const type = [0x60, ...vec(params.map((t) => [t])), ...vec([])]
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]
  const localGroups = locals.map((t) => [...uleb(1), t])
  const code = [...vec(localGroups), ...body, ...op.end()]
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    ...section(2, vec([memoryImport])),
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...name(exportName), 0x00, ...uleb(0)]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]
  return Uint8Array.from(bytes)
}

/** `while (!exit) body`: exit is an i32 expression, non-zero to leave. */
export const whileNot = (exit: Bytes, body: Bytes): Bytes => [...op.block(), ...op.loop(), ...exit, ...op.brIf(1), ...body, ...op.br(0), ...op.end(), ...op.end()]
/** local x >= local y (unsigned) */
export const geU = (x: number, y: number): Bytes => [...op.get(x), ...op.get(y), ...op.i32GeU()]
/** `for (local = 0; local < bound; local++) body`, bound a local (compared unsigned) */
export const forUp = (local: number, bound: number, body: Bytes): Bytes => [...op.i32(0), ...op.set(local), ...whileNot(geU(local, bound), [...body, ...addTo(local, op.i32(1))])]
/**
 * Over `index` from 0 to the local `count`: `lanes` while four elements remain (index += 4), then
 * `one` for each element left (index += 1): a SIMD loop and its scalar tail.
 */
export const lanesThenOne = (index: number, count: number, lanes: Bytes, one: Bytes): Bytes => [
  ...op.i32(0), ...op.set(index),
  ...whileNot([...op.get(index), ...op.i32(4), ...op.i32Add(), ...op.get(count), ...op.i32GtU()], [...lanes, ...addTo(index, op.i32(4))]),
  ...whileNot(geU(index, count), [...one, ...addTo(index, op.i32(1))]),
]
/** local += amount */
export const addTo = (local: number, amount: Bytes): Bytes => [...op.get(local), ...amount, ...op.i32Add(), ...op.set(local)]
/** local base + (offsetElements << 2): the byte address of a 4-byte element */
export const byteAddress = (base: number, offsetElements: Bytes): Bytes => [...op.get(base), ...offsetElements, ...op.i32(2), ...op.i32Shl(), ...op.i32Add()]
