import { addTo, byteAddress, F32, forUp, I32, kernelModule, lanesThenOne, op, V128, whileNot, type Bytes } from './wasm-bytecode.js'
import { kernelOnHeap, type Heap } from './wasm-heap.js'

/**
 * MaxPoolGrad for windows that do not overlap (NHWC, float32) as a WebAssembly SIMD kernel, four
 * channels per f32x4: each window's gradient goes to its first maximum (the first element, in
 * row-major window order, greater than all before it — a strict `>` from −∞, so a window of NaNs
 * gets none), added to dx in float32 (`0 + g`: one gradient per pixel, as in the JS pass it
 * replaces, -0 included). `dx` must be zeroed.
 */

// params (i32; pointers in bytes)
const [X, G, DX, BATCH, IN_H, IN_W, CH, OUT_H, OUT_W, F_H, F_W, STRIDE_H, STRIDE_W, TOP, LEFT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
const PARAMS = new Array<number>(15).fill(I32)
// locals
const [N, OH, OW, H, W, C, H0, H1, W0, W1, PG, IDX, WHERE] = [15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]
const BEST = 28 // f32: the scalar channel's running maximum
const [BEST4, WHERE4, V4, MASK4] = [29, 30, 31, 32]
const LOCALS = [...new Array<number>(13).fill(I32), F32, V128, V128, V128, V128]
const { get, set, i32 } = op

/** `for (local = from; local < to; local++)`, signed: a window's bounds can be negative */
const forRange = (local: number, from: Bytes, to: number, body: Bytes): Bytes => [...from, ...set(local), ...whileNot([...get(local), ...get(to), ...op.i32GeS()], [...body, ...addTo(local, i32(1))])]
/** max(0, local) as a signed i32 */
const atLeastZero = (local: number): Bytes => [...get(local), ...i32(0), ...get(local), ...i32(0), ...op.i32GeS(), ...op.select()]
/** min(bound, local + size) */
const endAt = (local: number, size: number, bound: number): Bytes => [...get(local), ...get(size), ...op.i32Add(), ...get(bound), ...get(local), ...get(size), ...op.i32Add(), ...get(bound), ...op.i32LtS(), ...op.select()]
/** the element index in x (and dx) of pixel (n, h, w), channel c */
const pixel: Bytes = [...get(N), ...get(IN_H), ...op.i32Mul(), ...get(H), ...op.i32Add(), ...get(IN_W), ...op.i32Mul(), ...get(W), ...op.i32Add(), ...get(CH), ...op.i32Mul(), ...get(C), ...op.i32Add()]
/** dx[where] += g[PG + lane]: the float32 add the JS pass did, skipped for where < 0 */
const scatter = (where: Bytes, gOffset: number): Bytes => [
  ...where, ...set(WHERE),
  ...get(WHERE), ...i32(0), ...op.i32GeS(), ...op.if(),
  ...byteAddress(DX, get(WHERE)), ...byteAddress(DX, get(WHERE)), ...op.f32Load(), ...get(PG), ...op.f32Load(gOffset), ...op.f32Add(), ...op.f32Store(),
  ...op.end(),
]

/** Four channels c..c+3 of one window. */
const fourChannels: Bytes = [
  ...op.f32(Number.NEGATIVE_INFINITY), ...op.f32x4Splat(), ...set(BEST4),
  ...i32(-1), ...op.i32x4Splat(), ...set(WHERE4),
  ...forRange(H, get(H0), H1, forRange(W, get(W0), W1, [
    ...pixel, ...set(IDX),
    ...byteAddress(X, get(IDX)), ...op.v128Load(), ...set(V4),
    ...get(V4), ...get(BEST4), ...op.f32x4Gt(), ...set(MASK4),
    ...get(V4), ...get(BEST4), ...get(MASK4), ...op.v128Bitselect(), ...set(BEST4),
    ...get(IDX), ...op.i32x4Splat(), ...op.i32x4Const([0, 1, 2, 3]), ...op.i32x4Add(), ...get(WHERE4), ...get(MASK4), ...op.v128Bitselect(), ...set(WHERE4),
  ])),
  ...[0, 1, 2, 3].flatMap((lane) => scatter([...get(WHERE4), ...op.i32x4ExtractLane(lane)], 4 * lane)),
  ...addTo(PG, i32(16)),
]

/** One channel c of one window. */
const oneChannel: Bytes = [
  ...op.f32(Number.NEGATIVE_INFINITY), ...set(BEST),
  ...i32(-1), ...set(WHERE),
  ...forRange(H, get(H0), H1, forRange(W, get(W0), W1, [
    ...pixel, ...set(IDX),
    ...byteAddress(X, get(IDX)), ...op.f32Load(), ...get(BEST), ...op.f32Gt(), ...op.if(),
    ...byteAddress(X, get(IDX)), ...op.f32Load(), ...set(BEST), ...get(IDX), ...set(WHERE),
    ...op.end(),
  ])),
  ...scatter(get(WHERE), 0),
  ...addTo(PG, i32(4)),
]

function body(): Bytes {
  return [
    ...get(G), ...set(PG),
    ...forUp(N, BATCH, forUp(OH, OUT_H, [
      ...get(OH), ...get(STRIDE_H), ...op.i32Mul(), ...get(TOP), ...op.i32Sub(), ...set(H0),
      ...endAt(H0, F_H, IN_H), ...set(H1),
      ...atLeastZero(H0), ...set(H0),
      ...forUp(OW, OUT_W, [
        ...get(OW), ...get(STRIDE_W), ...op.i32Mul(), ...get(LEFT), ...op.i32Sub(), ...set(W0),
        ...endAt(W0, F_W, IN_W), ...set(W1),
        ...atLeastZero(W0), ...set(W0),
        ...lanesThenOne(C, CH, fourChannels, oneChannel),
      ]),
    ])),
  ]
}

type MaxPoolGrad = (x: number, g: number, dx: number, batch: number, inH: number, inW: number, channels: number, outH: number, outW: number, fH: number, fW: number, strideH: number, strideW: number, top: number, left: number) => void

/** The kernel bound to one WASM heap. */
export const maxPoolGradKernel: (heap: Heap) => MaxPoolGrad = kernelOnHeap<MaxPoolGrad>(() => kernelModule('maxPoolGrad', PARAMS, LOCALS, body()), 'maxPoolGrad')
