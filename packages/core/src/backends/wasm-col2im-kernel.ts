import { addTo, byteAddress, forUp, I32, kernelModule, lanesThenOne, op, type Bytes } from './wasm-bytecode.js'
import { kernelOnHeap, type Heap } from './wasm-heap.js'

/**
 * col2im for the input gradient of a 2-D convolution (NHWC, float32) as a WebAssembly SIMD
 * kernel: each output position's patch gradient (a row of `patches`, [filterH·filterW·inC]) is
 * added into dx at the pixels its patch covers, four channels per f32x4. Positions, then taps,
 * are visited in the order of the JS loop it replaces, so every pixel's gradient is the same
 * float32 sum, added in the same order, to the bit. Taps in the padding are skipped, as there.
 * `dx` must be zeroed.
 */

// params (i32; pointers in bytes)
const [PATCHES, DX, BATCH, IN_H, IN_W, IN_C, OUT_H, OUT_W, F_H, F_W, STRIDE_H, STRIDE_W, TOP, LEFT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
const PARAMS = new Array<number>(14).fill(I32)
// locals: loop counters, the tap's row ih and column iw, the read and write pointers, a channel index
const [N, OH, OW, FH, FW, IH, IW, AT, PDX, C, IN_C_BYTES] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
const LOCALS = new Array<number>(11).fill(I32)
const { get, set, i32 } = op

/** dx[PDX + c] += patches[AT + c] over the channels: lane groups, then a scalar tail. */
const addChannels: Bytes = lanesThenOne(
  C,
  IN_C,
  [...byteAddress(PDX, get(C)), ...byteAddress(PDX, get(C)), ...op.v128Load(), ...byteAddress(AT, get(C)), ...op.v128Load(), ...op.f32x4Add(), ...op.v128Store()],
  [...byteAddress(PDX, get(C)), ...byteAddress(PDX, get(C)), ...op.f32Load(), ...byteAddress(AT, get(C)), ...op.f32Load(), ...op.f32Add(), ...op.f32Store()],
)

function body(): Bytes {
  // a negative ih or iw wraps to a large unsigned value, so `<u` tests both bounds
  const tap = [
    ...get(OW), ...get(STRIDE_W), ...op.i32Mul(), ...get(LEFT), ...op.i32Sub(), ...get(FW), ...op.i32Add(), ...set(IW),
    ...get(IW), ...get(IN_W), ...op.i32LtU(), ...op.if(),
    ...byteAddress(DX, [...get(N), ...get(IN_H), ...op.i32Mul(), ...get(IH), ...op.i32Add(), ...get(IN_W), ...op.i32Mul(), ...get(IW), ...op.i32Add(), ...get(IN_C), ...op.i32Mul()]), ...set(PDX),
    ...addChannels,
    ...op.end(),
    ...addTo(AT, get(IN_C_BYTES)),
  ]
  return [
    ...get(IN_C), ...i32(2), ...op.i32Shl(), ...set(IN_C_BYTES),
    ...get(PATCHES), ...set(AT),
    ...forUp(N, BATCH, forUp(OH, OUT_H, forUp(OW, OUT_W, forUp(FH, F_H, [
      ...get(OH), ...get(STRIDE_H), ...op.i32Mul(), ...get(TOP), ...op.i32Sub(), ...get(FH), ...op.i32Add(), ...set(IH),
      ...get(IH), ...get(IN_H), ...op.i32LtU(), ...op.if(),
      ...forUp(FW, F_W, tap),
      ...op.else(),
      // a row of taps in the padding: skip its patch entries
      ...addTo(AT, [...get(F_W), ...get(IN_C_BYTES), ...op.i32Mul()]),
      ...op.end(),
    ])))),
  ]
}

type Col2im = (patches: number, dx: number, batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, fH: number, fW: number, strideH: number, strideW: number, top: number, left: number) => void

/** The kernel bound to one WASM heap. */
export const col2im: (heap: Heap) => Col2im = kernelOnHeap<Col2im>(() => kernelModule('col2im', PARAMS, LOCALS, body()), 'col2im')
