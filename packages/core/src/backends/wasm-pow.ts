import * as tf from '@tensorflow/tfjs'
import type { TensorInfo } from './cpu-fallback.js'
import { byteAddress, F64, forUp, I32, kernelModule, op, type Bytes } from './wasm-bytecode.js'
import { heapOf, heapOffset, kernelOnHeap, type Heap, type WasmHeapBackend } from './wasm-heap.js'

/**
 * `Pow` of a float32 tensor by one integer exponent n (|n| ≤ MAX_INTEGER_EXPONENT), as a
 * WebAssembly kernel on tfjs's heap: x multiplied |n| times in float64 (x² is exact there, each
 * further product is one float64 rounding), inverted in float64 for n < 0, rounded once to
 * float32 — `Math.fround(x * x * x)` for n = 3. tfjs's WASM Pow calls libc's powf for every
 * element (22 ns each, a fifth of the bench transformer's profiled step) and is not correctly
 * rounded: its x³, x² and x⁻¹ differ from the nearest float32 in about 0.07% of elements. This
 * kernel is 18-30x faster (bench/wasm-pow.ts) and gives the nearest float32 except where the
 * float64 value lands exactly halfway between two float32s, so results change in the last bit
 * where stock was off by one; no recorded result uses tf.pow (docs/performance.md). Other
 * exponents and dtypes go to tfjs's kernel.
 */

export const MAX_INTEGER_EXPONENT = 8

type PowExport = (x: number, out: number, count: number) => void

// params (i32): x and out (byte pointers), count; locals: i, then x and the power in float64
const [X, OUT, COUNT, I, XV, P] = [0, 1, 2, 3, 4, 5]
const { get, set } = op

function body(n: number): Bytes {
  const power: Bytes =
    n === 0
      ? op.f64(1)
      : [...get(XV), ...Array.from({ length: Math.abs(n) - 1 }, () => [...get(XV), ...op.f64Mul()]).flat(), ...(n < 0 ? [...set(P), ...op.f64(1), ...get(P), ...op.f64Div()] : [])]
  return forUp(I, COUNT, [
    ...byteAddress(X, get(I)), ...op.f32Load(), ...op.f64PromoteF32(), ...set(XV),
    ...byteAddress(OUT, get(I)), ...power, ...op.f32DemoteF64(), ...op.f32Store(),
  ])
}

const modules = new Map<number, (heap: Heap) => PowExport>()
function powerKernel(n: number): (heap: Heap) => PowExport {
  let kernel = modules.get(n)
  if (!kernel) {
    kernel = kernelOnHeap<PowExport>(() => kernelModule('pow', [I32, I32, I32], [I32, F64, F64], body(n)), 'pow')
    modules.set(n, kernel)
  }
  return kernel
}

/** The integer exponent of a one-element float32 `b` that does not broadcast `a` to a higher rank, or null. */
function integerExponent(backend: WasmHeapBackend, a: TensorInfo, b: TensorInfo): number | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null
  if (tf.util.sizeFromShape(b.shape) !== 1 || b.shape.length > a.shape.length) return null
  const n = backend.typedArrayFromHeap(b)[0]!
  return Number.isInteger(n) && Math.abs(n) <= MAX_INTEGER_EXPONENT ? n : null
}

/** A Pow kernel function: integer exponents as above, everything else to `stock`. */
export function integerPow(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: { a: TensorInfo; b: TensorInfo }; backend: WasmHeapBackend }
    const { a, b } = inputs
    const n = integerExponent(backend, a, b)
    if (n === null) return stock(args)
    const out = backend.makeOutput(a.shape, 'float32')
    const count = tf.util.sizeFromShape(a.shape)
    if (count > 0) powerKernel(n)(heapOf(backend))(heapOffset(backend, a), heapOffset(backend, out), count)
    return out as never
  }
}
