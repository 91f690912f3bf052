import { addTo, byteAddress, forUp, I32, kernelModule, lanesThenOne, op, V128, F32, type Bytes } from './wasm-bytecode.js'
import { kernelOnHeap, type Heap } from './wasm-heap.js'

/**
 * The filter gradient of a 2-D convolution (NHWC, float32) as a WebAssembly SIMD kernel that
 * needs no im2col matrix: for each output position p (batch, row, column, in that order) and
 * each filter tap and input channel r, `out[r, :] += x[p's patch, r] · dy[p, :]`, four output
 * channels per f32x4. Each output element therefore sums its products over p in ascending order
 * from +0, one float32 multiply and add each — what the matmul of the im2col matrix by dy does
 * (XNNPACK, or the SIMD matmul: one chain over k), so the result is the same to the bit. A tap in
 * the padding multiplies 0 (not skipped), as the im2col matrix's zeros did. `out` must be zeroed.
 */

// params (i32; pointers in bytes)
const [X, DY, OUT, BATCH, IN_H, IN_W, IN_C, OUT_H, OUT_W, OUT_C, F_H, F_W, STRIDE_H, STRIDE_W, TOP, LEFT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
const PARAMS = new Array<number>(16).fill(I32)
// locals
const [N, OH, OW, FH, FW, C, J, IH, IW, VALID, PDY, POUT, PX, OUT_C_BYTES] = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]
const A = 30 // f32: x at the tap (0 in the padding)
const AV = 31 // v128: its splat
const DY_ROW = [32, 33, 34, 35] // v128: dy's row at this position, when it fits in four lane groups
const LOCALS = [...new Array<number>(14).fill(I32), F32, V128, V128, V128, V128, V128]
const { get, set, i32 } = op

/** out[POUT + 4j ..] += AV · dy[PDY + 4j ..] over the output channels: lane groups, then a scalar tail. */
const accumulateAnyRow: Bytes = lanesThenOne(
  J,
  OUT_C,
  [...byteAddress(POUT, get(J)), ...byteAddress(POUT, get(J)), ...op.v128Load(), ...get(AV), ...byteAddress(PDY, get(J)), ...op.v128Load(), ...op.f32x4Mul(), ...op.f32x4Add(), ...op.v128Store()],
  [...byteAddress(POUT, get(J)), ...byteAddress(POUT, get(J)), ...op.f32Load(), ...get(A), ...byteAddress(PDY, get(J)), ...op.f32Load(), ...op.f32Mul(), ...op.f32Add(), ...op.f32Store()],
)

/** The same for exactly `vectors` lane groups (outC = 4·vectors), with dy's row held in locals. */
const accumulateRow = (vectors: number): Bytes =>
  vectors === 0
    ? accumulateAnyRow
    : [...Array(vectors).keys()].flatMap((v) => [...get(POUT), ...get(POUT), ...op.v128Load(16 * v), ...get(AV), ...get(DY_ROW[v]!), ...op.f32x4Mul(), ...op.f32x4Add(), ...op.v128Store(16 * v)])

/** The kernel's body, specialised to `vectors` lane groups of output channels (0: any count). */
function body(vectors: number): Bytes {
  // ih = oh·strideH − top + fh; a negative ih wraps to a large unsigned value, so `ih <u inH` tests both bounds
  const tap = [
    ...get(OW), ...get(STRIDE_W), ...op.i32Mul(), ...get(LEFT), ...op.i32Sub(), ...get(FW), ...op.i32Add(), ...set(IW),
    ...get(IH), ...get(IN_H), ...op.i32LtU(), ...get(IW), ...get(IN_W), ...op.i32LtU(), ...op.i32And(), ...set(VALID),
    // px = x + (((n·inH + ih)·inW + iw)·inC) · 4
    ...byteAddress(X, [...get(N), ...get(IN_H), ...op.i32Mul(), ...get(IH), ...op.i32Add(), ...get(IN_W), ...op.i32Mul(), ...get(IW), ...op.i32Add(), ...get(IN_C), ...op.i32Mul()]), ...set(PX),
    ...forUp(C, IN_C, [
      ...get(VALID), ...op.if(), ...byteAddress(PX, get(C)), ...op.f32Load(), ...set(A), ...op.else(), ...op.f32(0), ...set(A), ...op.end(),
      ...get(A), ...op.f32x4Splat(), ...set(AV),
      ...accumulateRow(vectors),
      ...addTo(POUT, get(OUT_C_BYTES)),
    ]),
  ]
  return [
    ...get(OUT_C), ...i32(2), ...op.i32Shl(), ...set(OUT_C_BYTES),
    ...get(DY), ...set(PDY),
    ...forUp(N, BATCH, forUp(OH, OUT_H, forUp(OW, OUT_W, [
      ...get(OUT), ...set(POUT),
      ...[...Array(vectors).keys()].flatMap((v) => [...get(PDY), ...op.v128Load(16 * v), ...set(DY_ROW[v]!)]),
      ...forUp(FH, F_H, [
        ...get(OH), ...get(STRIDE_H), ...op.i32Mul(), ...get(TOP), ...op.i32Sub(), ...get(FH), ...op.i32Add(), ...set(IH),
        ...forUp(FW, F_W, tap),
      ]),
      ...addTo(PDY, get(OUT_C_BYTES)),
    ]))),
  ]
}

type FilterGradient = (x: number, dy: number, out: number, batch: number, inH: number, inW: number, inC: number, outH: number, outW: number, outC: number, fH: number, fW: number, strideH: number, strideW: number, top: number, left: number) => void

/** The kernel bound to one WASM heap. */
/** Output-channel counts of 4, 8, 12 or 16 get a body with dy's row in locals; any other count the general one. */
const variants = [0, 1, 2, 3, 4].map((vectors) => kernelOnHeap<FilterGradient>(() => kernelModule('filterGradient', PARAMS, LOCALS, body(vectors)), 'filterGradient'))

/** The kernel for `outChannels`, bound to one WASM heap. */
export function convFilterGradient(heap: Heap, outChannels: number): FilterGradient {
  const vectors = outChannels % 4 === 0 && outChannels <= 16 ? outChannels / 4 : 0
  return variants[vectors]!(heap)
}
