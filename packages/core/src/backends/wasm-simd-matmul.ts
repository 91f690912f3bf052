import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { addTo, byteAddress, F32, geU, I32, kernelModule, op, V128, whileNot, type Bytes } from './wasm-bytecode.js'
import { heapOf, heapOffset, kernelOnHeap, type WasmHeapBackend } from './wasm-heap.js'

/**
 * Float32 matmul for tfjs's WASM backend in Node, in WebAssembly SIMD, summing every output in
 * the order the path it replaces does, so results are the same to the bit:
 * - a batch of several matrices (attention's QKᵀ and AV, and their gradients) goes, in tfjs, to a
 *   scalar C++ loop (`slow_batch_matmul`): one chain of float32 adds per output, k ascending from
 *   +0 in blocks of 48, each block's sum added to the output; 2-3 GFLOP/s on 16×16 matrices
 *   (bench/wasm-matmul.ts);
 * - one matrix goes to XNNPACK (the kernel fixes make any transpose flag an explicit transpose
 *   first, wasm-tuning.ts), whose f32 GEMM sums k ascending in one chain from +0 (no bias), after
 *   packing b for every new b tensor.
 * Here four outputs of a row share an f32x4 lane group, two rows share the loads of b, and up to
 * 16 columns run side by side; the products and adds are the same float32 operations in the same
 * order (the tests compare bit patterns with both tfjs paths). A transposed a is read with its
 * strides; a transposed b is transposed first (an exact copy).
 */

/** tfjs's k-block (kBlockSize in its batch_mat_mul_impl.cc): sums restart every 48 products. */
export const STOCK_K_BLOCK = 48

// Parameters (all i32; pointers in bytes, strides in elements) and locals of the kernel function.
const [A, B, OUT, BATCH, M, K, N, A_BATCH, A_ROW, A_K, B_BATCH, BLOCK] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
const PARAMS = 12
const [BT, I, J, K0, KK, K_END, PA, PB, A_ROW_PTR, B_BAT_PTR, OUT_ROW_PTR, PO, A_K_BYTES, N_BYTES, A_ROW_BYTES] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26]
/** Per row of a two-row pass: the scalar sum, the splat of a[i, k], the four f32x4 sums. */
const SACC = [27, 28]
const AV = [29, 30]
const BV = 31
const ACC = [
  [32, 33, 34, 35],
  [36, 37, 38, 39],
]
const LOCALS = [...new Array<number>(15).fill(I32), F32, F32, ...new Array<number>(11).fill(V128)]

const { get, set, i32 } = op
/** The address of row r (0 or 1) of a two-row pass, from row 0's pointer and the row stride in bytes. */
const rowAt = (pointer: number, r: number, stride: number): Bytes => (r === 0 ? get(pointer) : [...get(pointer), ...get(stride), ...op.i32Add()])

/**
 * One output tile of `rows` rows (1 or 2, sharing the loads of b) at column j: `vectors` f32x4
 * lane groups (4 columns each), or one scalar column when `vectors` is 0. Loops over the
 * k-blocks, and over k inside each block.
 */
function tile(vectors: number, rows: number): Bytes {
  const rs = [...Array(rows).keys()]
  const vs = [...Array(vectors).keys()]
  const zero = rs.flatMap((r) => (vectors === 0 ? [...op.f32(0), ...set(SACC[r]!)] : vs.flatMap((v) => [...op.v128Zero(), ...set(ACC[r]![v]!)])))
  const product =
    vectors === 0
      ? rs.flatMap((r) => [...get(SACC[r]!), ...rowAt(PA, r, A_ROW_BYTES), ...op.f32Load(), ...get(PB), ...op.f32Load(), ...op.f32Mul(), ...op.f32Add(), ...set(SACC[r]!)])
      : [
          ...rs.flatMap((r) => [...rowAt(PA, r, A_ROW_BYTES), ...op.f32Load(), ...op.f32x4Splat(), ...set(AV[r]!)]),
          ...vs.flatMap((v) => [
            ...get(PB), ...op.v128Load(16 * v), ...set(BV),
            ...rs.flatMap((r) => [...get(ACC[r]![v]!), ...get(AV[r]!), ...get(BV), ...op.f32x4Mul(), ...op.f32x4Add(), ...set(ACC[r]![v]!)]),
          ]),
        ]
  const store = (added: boolean): Bytes =>
    rs.flatMap((r) =>
      vectors === 0
        ? [...rowAt(PO, r, N_BYTES), ...(added ? [...rowAt(PO, r, N_BYTES), ...op.f32Load(), ...get(SACC[r]!), ...op.f32Add()] : get(SACC[r]!)), ...op.f32Store()]
        : vs.flatMap((v) => [...rowAt(PO, r, N_BYTES), ...(added ? [...rowAt(PO, r, N_BYTES), ...op.v128Load(16 * v), ...get(ACC[r]![v]!), ...op.f32x4Add()] : get(ACC[r]![v]!)), ...op.v128Store(16 * v)]),
    )
  return [
    ...i32(0), ...set(K0),
    ...whileNot(geU(K0, K), [
      // kEnd = min(k0 + block, k)
      ...get(K0), ...get(BLOCK), ...op.i32Add(), ...get(K), ...get(K0), ...get(BLOCK), ...op.i32Add(), ...get(K), ...op.i32LtU(), ...op.select(), ...set(K_END),
      ...zero,
      ...byteAddress(A_ROW_PTR, [...get(K0), ...get(A_K), ...op.i32Mul()]), ...set(PA),
      ...byteAddress(B_BAT_PTR, [...get(K0), ...get(N), ...op.i32Mul(), ...get(J), ...op.i32Add()]), ...set(PB),
      ...get(K0), ...set(KK),
      ...whileNot(geU(KK, K_END), [...product, ...addTo(PA, get(A_K_BYTES)), ...addTo(PB, get(N_BYTES)), ...addTo(KK, i32(1))]),
      ...byteAddress(OUT_ROW_PTR, get(J)), ...set(PO),
      // the first block's sums are the outputs; later blocks add theirs to them, as tfjs does
      ...get(K0), ...op.i32Eqz(), ...op.if(), ...store(false), ...op.else(), ...store(true), ...op.end(),
      ...addTo(K0, get(BLOCK)),
    ]),
  ]
}

/** Columns j.. in tiles of `vectors` lane groups while a whole tile fits, then moves j past them. */
function columns(vectors: number, rows: number): Bytes {
  const width = Math.max(1, 4 * vectors)
  return whileNot([...get(J), ...i32(width), ...op.i32Add(), ...get(N), ...op.i32GtU()], [...tile(vectors, rows), ...addTo(J, i32(width))])
}

/** Rows i.. in passes of `rows` while a whole pass fits: every column of those rows. */
function rowPasses(rows: number): Bytes {
  return whileNot([...get(I), ...i32(rows), ...op.i32Add(), ...get(M), ...op.i32GtU()], [
    ...byteAddress(A, [...get(BT), ...get(A_BATCH), ...op.i32Mul(), ...get(I), ...get(A_ROW), ...op.i32Mul(), ...op.i32Add()]), ...set(A_ROW_PTR),
    ...byteAddress(OUT, [...get(BT), ...get(M), ...op.i32Mul(), ...get(I), ...op.i32Add(), ...get(N), ...op.i32Mul()]), ...set(OUT_ROW_PTR),
    ...i32(0), ...set(J),
    ...columns(4, rows),
    ...columns(1, rows),
    ...columns(0, rows),
    ...addTo(I, i32(rows)),
  ])
}

function body(): Bytes {
  return [
    ...get(A_K), ...i32(2), ...op.i32Shl(), ...set(A_K_BYTES),
    ...get(A_ROW), ...i32(2), ...op.i32Shl(), ...set(A_ROW_BYTES),
    ...get(N), ...i32(2), ...op.i32Shl(), ...set(N_BYTES),
    ...i32(0), ...set(BT),
    ...whileNot(geU(BT, BATCH), [
      ...byteAddress(B, [...get(BT), ...get(B_BATCH), ...op.i32Mul()]), ...set(B_BAT_PTR),
      ...i32(0), ...set(I),
      ...rowPasses(2),
      ...rowPasses(1),
      ...addTo(BT, i32(1)),
    ]),
  ]
}

type MatmulExport = (a: number, b: number, out: number, batch: number, m: number, k: number, n: number, aBatch: number, aRow: number, aK: number, bBatch: number, block: number) => void

const kernelFor = kernelOnHeap<MatmulExport>(() => kernelModule('matmul', new Array<number>(PARAMS).fill(I32), LOCALS, body()), 'matmul')

/**
 * One matrix goes to the SIMD kernel when b has at most this many elements (k·n) and n is a
 * multiple of 4: beyond, XNNPACK's cache blocking wins (256×1024·1024×256: 0.77x, 512³: 0.88x),
 * and with 1-3 columns left over the scalar tail does (256×256·256×10: 0.73x; bench/wasm-matmul.ts)
 * unless a is transposed, which XNNPACK needs done first (an output layer's weight gradient
 * 256×256ᵀ·256×10: 1.37x).
 */
export const MAX_SINGLE_B_ELEMENTS = 1 << 17

/**
 * A BatchMatMul kernel for WASM: float32 operands with the same batch dimensions, in the SIMD
 * kernel above (k-blocks of 48 for a batch, as tfjs's loop; one block for one matrix, as
 * XNNPACK). Everything else — broadcast batches, other dtypes, empty shapes, one matrix with a
 * large b or (a not transposed) a column count that is not a multiple of 4 — goes to `other`.
 */
export function simdMatmul(other: tf.KernelFunc, transpose: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as {
      inputs: { a: TensorInfo; b: TensorInfo }
      attrs: { transposeA: boolean; transposeB: boolean }
      backend: WasmHeapBackend
    }
    const { a, b } = inputs
    const rank = a.shape.length
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || rank < 2 || b.shape.length !== rank) return other(args)
    const outer = a.shape.slice(0, -2)
    if (outer.some((d, i) => d !== b.shape[i])) return other(args)
    const batch = outer.reduce((x, y) => x * y, 1)
    const [a0, a1] = a.shape.slice(-2) as [number, number]
    const [b0, b1] = b.shape.slice(-2) as [number, number]
    const [m, k] = attrs.transposeA ? [a1, a0] : [a0, a1]
    const [kB, n] = attrs.transposeB ? [b1, b0] : [b0, b1]
    // a shape mismatch gets the stock kernel's error
    if (k !== kB || m * n * k === 0) return other(args)
    if (batch === 1 && (k * n > MAX_SINGLE_B_ELEMENTS || (n % 4 !== 0 && !attrs.transposeA))) return other(args)
    const perm = [...outer.keys(), rank - 1, rank - 2]
    const bRows = attrs.transposeB ? (transpose({ inputs: { x: b } as never, attrs: { perm } as never, backend: backend as never }) as TensorInfo) : b
    try {
      const out = backend.makeOutput([...outer, m, n], 'float32')
      const [aRow, aK] = attrs.transposeA ? [1, m] : [k, 1]
      const block = batch > 1 ? STOCK_K_BLOCK : k
      kernelFor(heapOf(backend))(heapOffset(backend, a), heapOffset(backend, bRows), heapOffset(backend, out), batch, m, k, n, m * k, aRow, aK, k * n, block)
      return out as never
    } finally {
      if (bRows !== b) backend.disposeData(bRows.dataId)
    }
  }
}
