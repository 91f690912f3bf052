import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { byteAddress, F32, forUp, I32, kernelModule, lanesThenOne, op, V128, type Bytes } from './wasm-bytecode.js'
import { heapOf, heapOffset, kernelOnHeap, type Heap, type WasmHeapBackend } from './wasm-heap.js'

/**
 * Add, Sub, Multiply, RealDiv, Minimum and Maximum of float32 tensors, broadcast included, as
 * WebAssembly SIMD kernels on tfjs's WASM heap. Each output element is one float32 operation (or
 * comparison and pick) on its two inputs, as in tfjs's kernel, so the result is the same to the
 * bit. tfjs's broadcasting kernels are the slow case (a conv bias [8] added to [64, 28, 28, 8]: the
 * bench CNN's step is 1.07-1.13x faster with these; on the transformer-shaped models the engine's
 * per-call cost dominates, 1.0-1.1x, within noise; bench/wasm-binary.ts; Group DETR's pairwise box
 * minimum and maximum, [16, 132, 1, 1] with [16, 1, 6, 1]: 1.0 ms a call in tfjs's, 9 µs here,
 * bench/wasm-kernel-calls.ts). The
 * broadcast is collapsed to at most three dimensions, the innermost one contiguous in both inputs
 * or repeating one input's element (a splat); other cases go to tfjs's kernel.
 */

export const SIMD_BINARY_KERNELS = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Minimum', 'Maximum'] as const
type BinaryKernel = (typeof SIMD_BINARY_KERNELS)[number]

// params (i32; pointers in bytes, strides in elements): out[i0, i1, j] = a[..] op b[..]
const [A, B, OUT, D0, D1, D2, A_S0, A_S1, B_S0, B_S1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
const PARAMS = new Array<number>(10).fill(I32)
const [I0, I1, J, PA, PB, PO] = [10, 11, 12, 13, 14, 15]
const [AV, BV, TA, TB] = [16, 17, 18, 19]
const [SA, SB] = [20, 21]
const LOCALS = [I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, F32, F32]
const { get, set, i32 } = op

/** An element's operation: its two operands (already on the stack) in, the result out. */
interface Operation {
  readonly lanes: Bytes
  readonly one: Bytes
}

/**
 * `b < a ? b : a` (Minimum; `b > a` for Maximum), as tfjs's XNNPACK kernel computes it, measured:
 * a NaN a is returned, a NaN b is not, and of two zeros the first one wins. The operands go to
 * locals so each is read twice.
 */
const pick = (lanesCompare: Bytes, oneCompare: Bytes): Operation => ({
  lanes: [...set(TB), ...set(TA), ...get(TB), ...get(TA), ...get(TB), ...get(TA), ...lanesCompare, ...op.v128Bitselect()],
  one: [...set(SB), ...set(SA), ...get(SB), ...get(SA), ...get(SB), ...get(SA), ...oneCompare, ...op.select()],
})

const OPERATIONS: Record<BinaryKernel, Operation> = {
  Add: { lanes: op.f32x4Add(), one: op.f32Add() },
  Sub: { lanes: op.f32x4Sub(), one: op.f32Sub() },
  Multiply: { lanes: op.f32x4Mul(), one: op.f32Mul() },
  RealDiv: { lanes: op.f32x4Div(), one: op.f32Div() },
  Minimum: pick(op.f32x4Lt(), op.f32Lt()),
  Maximum: pick(op.f32x4Gt(), op.f32Gt()),
}

/** How the innermost dimension reads the inputs: both contiguous, or one of them a single element. */
type Inner = 'both' | 'splatA' | 'splatB'

function body(kernel: BinaryKernel, inner: Inner): Bytes {
  const { lanes, one } = OPERATIONS[kernel]
  // a splat input is one element: its splat for four lanes, the element itself for one
  const operand = (pointer: number, splat: number | null, vector: boolean): Bytes =>
    splat !== null ? (vector ? get(splat) : [...get(pointer), ...op.f32Load()]) : [...byteAddress(pointer, get(J)), ...(vector ? op.v128Load() : op.f32Load())]
  const aSplat = inner === 'splatA' ? AV : null
  const bSplat = inner === 'splatB' ? BV : null
  const element = (vector: boolean): Bytes => [
    ...byteAddress(PO, get(J)),
    ...operand(PA, aSplat, vector), ...operand(PB, bSplat, vector),
    ...(vector ? lanes : one),
    ...(vector ? op.v128Store() : op.f32Store()),
  ]
  return [
    ...get(OUT), ...set(PO),
    ...forUp(I0, D0, forUp(I1, D1, [
      ...byteAddress(A, [...get(I0), ...get(A_S0), ...op.i32Mul(), ...get(I1), ...get(A_S1), ...op.i32Mul(), ...op.i32Add()]), ...set(PA),
      ...byteAddress(B, [...get(I0), ...get(B_S0), ...op.i32Mul(), ...get(I1), ...get(B_S1), ...op.i32Mul(), ...op.i32Add()]), ...set(PB),
      ...(aSplat !== null ? [...get(PA), ...op.f32Load(), ...op.f32x4Splat(), ...set(AV)] : []),
      ...(bSplat !== null ? [...get(PB), ...op.f32Load(), ...op.f32x4Splat(), ...set(BV)] : []),
      ...lanesThenOne(J, D2, element(true), element(false)),
      ...byteAddress(PO, get(D2)), ...set(PO),
    ])),
  ]
}

type BinaryExport = (a: number, b: number, out: number, d0: number, d1: number, d2: number, aS0: number, aS1: number, bS0: number, bS1: number) => void

/** `kernel`'s three module variants, one per way of reading the innermost dimension (each built on first use). */
function variants(kernel: BinaryKernel): Record<Inner, (heap: Heap) => BinaryExport> {
  const variant = (inner: Inner) => kernelOnHeap<BinaryExport>(() => kernelModule('binary', PARAMS, LOCALS, body(kernel, inner)), 'binary')
  return { both: variant('both'), splatA: variant('splatA'), splatB: variant('splatB') }
}

/** The broadcast of a and b as at most three dimensions [d0, d1, d2] with each input's strides, or null. */
export function collapseBroadcast(aShape: number[], bShape: number[], outShape: number[]): { dims: number[]; a: number[]; b: number[]; inner: Inner } | null {
  const rank = outShape.length
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s]
  const [pa, pb] = [pad(aShape), pad(bShape)]
  // dimensions of size > 1, each with whether a and b run along it (false: broadcast)
  const runs: { size: number; a: boolean; b: boolean }[] = []
  for (let d = 0; d < rank; d++) {
    const size = outShape[d]!
    if (size === 1) continue
    const dim = { size, a: pa[d] !== 1, b: pb[d] !== 1 }
    const last = runs.at(-1)
    if (last && last.a === dim.a && last.b === dim.b) last.size *= size
    else runs.push(dim)
  }
  if (runs.length === 0) runs.push({ size: 1, a: true, b: true })
  if (runs.length > 3) return null
  while (runs.length < 3) runs.unshift({ size: 1, a: false, b: false })
  // element strides of each input over the collapsed dimensions (0 where it is broadcast)
  const strides = (along: (r: (typeof runs)[number]) => boolean) => {
    const out = [0, 0, 0]
    let step = 1
    for (let d = 2; d >= 0; d--) {
      if (along(runs[d]!)) {
        out[d] = step
        step *= runs[d]!.size
      }
    }
    return out
  }
  const [a, b] = [strides((r) => r.a), strides((r) => r.b)]
  const innermost = runs[2]!
  const inner: Inner = innermost.a && innermost.b ? 'both' : innermost.a ? 'splatB' : 'splatA'
  return { dims: runs.map((r) => r.size), a, b, inner }
}

/** A kernel function for `kernel` on float32 inputs; other dtypes and shapes go to `stock`. */
export function simdBinary(kernel: BinaryKernel, stock: tf.KernelFunc): tf.KernelFunc {
  const byInner = variants(kernel)
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmHeapBackend }
    const { a, b } = inputs
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args)
    let outShape: number[]
    try {
      outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape)
    } catch {
      return stock(args) // the stock kernel's error
    }
    const plan = collapseBroadcast(a.shape, b.shape, outShape)
    if (!plan || outShape.some((d) => d === 0)) return stock(args)
    const out = backend.makeOutput(outShape, 'float32')
    const [d0, d1, d2] = plan.dims as [number, number, number]
    byInner[plan.inner](heapOf(backend))(heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out), d0, d1, d2, plan.a[0]!, plan.a[1]!, plan.b[0]!, plan.b[1]!)
    return out as never
  }
}
