import { addTo, F32, I32, kernelModule, op, V128, whileNot, type Bytes } from './wasm-bytecode.js'
import { kernelOnHeap, type Heap } from './wasm-heap.js'

/**
 * Adam's element-wise update as a WebAssembly SIMD kernel over the WASM heap, four elements per
 * f32x4 and a scalar tail, each operation the float32 one tfjs's AdamOptimizer does, in its order
 * (WebAssembly's f32 and f32x4 +, ×, ÷ and √ are IEEE float32, correctly rounded):
 *   m ← m·β₁ + g·(1−β₁);  v ← v·β₂ + g²·(1−β₂)
 *   out ← (m/c₁) / (√(v/c₂) + ε) · (−lr) + p
 * m and v are rewritten in place; p is read and `out` written (a weight never changes in place).
 */

// params: pointers in bytes (i32), the element count, then the float32 constants
const [P, M, V, G, OUT, COUNT] = [0, 1, 2, 3, 4, 5]
const [BETA1, BETA2, ONE_MINUS_BETA1, ONE_MINUS_BETA2, CORRECTION1, CORRECTION2, EPSILON, NEG_LR] = [6, 7, 8, 9, 10, 11, 12, 13]
const PARAMS = [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32]
const CONSTANTS = [BETA1, BETA2, ONE_MINUS_BETA1, ONE_MINUS_BETA2, CORRECTION1, CORRECTION2, EPSILON, NEG_LR]
// locals: the element index, the byte offset, the constants splatted, the new moments (four lanes, one)
const [I, OFFSET] = [14, 15]
const SPLAT = Object.fromEntries(CONSTANTS.map((c, i) => [c, 16 + i])) as Record<number, number>
const [M1, V1, M1_ONE, V1_ONE] = [24, 25, 26, 27]
const LOCALS = [I32, I32, ...new Array<number>(8).fill(V128), V128, V128, F32, F32]
const { get, set, i32 } = op

/** One step of the update on `lanes` elements (4: f32x4, 1: f32) at the current offset. */
function update(lanes: 4 | 1): Bytes {
  const vector = lanes === 4
  const load = (base: number) => [...get(base), ...get(OFFSET), ...op.i32Add(), ...(vector ? op.v128Load() : op.f32Load())]
  const store = (base: number, value: Bytes) => [...get(base), ...get(OFFSET), ...op.i32Add(), ...value, ...(vector ? op.v128Store() : op.f32Store())]
  const k = (c: number) => get(vector ? SPLAT[c]! : c)
  const [mul, add, div, sqrt] = vector ? [op.f32x4Mul(), op.f32x4Add(), op.f32x4Div(), op.f32x4Sqrt()] : [op.f32Mul(), op.f32Add(), op.f32Div(), op.f32Sqrt()]
  const [m1, v1] = vector ? [M1, V1] : [M1_ONE, V1_ONE]
  return [
    ...load(M), ...k(BETA1), ...mul, ...load(G), ...k(ONE_MINUS_BETA1), ...mul, ...add, ...set(m1),
    ...load(V), ...k(BETA2), ...mul, ...load(G), ...load(G), ...mul, ...k(ONE_MINUS_BETA2), ...mul, ...add, ...set(v1),
    ...store(M, get(m1)),
    ...store(V, get(v1)),
    ...store(OUT, [...get(m1), ...k(CORRECTION1), ...div, ...get(v1), ...k(CORRECTION2), ...div, ...sqrt, ...k(EPSILON), ...add, ...div, ...k(NEG_LR), ...mul, ...load(P), ...add]),
  ]
}

function body(): Bytes {
  const step = (lanes: 4 | 1) =>
    whileNot([...get(I), ...i32(lanes), ...op.i32Add(), ...get(COUNT), ...op.i32GtU()], [...update(lanes), ...addTo(I, i32(lanes)), ...addTo(OFFSET, i32(4 * lanes))])
  return [
    ...CONSTANTS.flatMap((c) => [...get(c), ...op.f32x4Splat(), ...set(SPLAT[c]!)]),
    ...i32(0), ...set(I),
    ...i32(0), ...set(OFFSET),
    ...step(4),
    ...step(1),
  ]
}

type AdamUpdate = (p: number, m: number, v: number, g: number, out: number, count: number, beta1: number, beta2: number, oneMinusBeta1: number, oneMinusBeta2: number, correction1: number, correction2: number, epsilon: number, negLearningRate: number) => void

/** The update bound to one WASM heap. */
export const adamUpdate: (heap: Heap) => AdamUpdate = kernelOnHeap<AdamUpdate>(() => kernelModule('adam', PARAMS, LOCALS, body()), 'adam')
