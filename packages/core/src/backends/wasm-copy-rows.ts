import { byteAddress, forUp, I32, kernelModule, lanesThenOne, op, V128, type Bytes } from './wasm-bytecode.js'
import { kernelOnHeap } from './wasm-heap.js'

/**
 * A WebAssembly kernel that copies 32-bit words between places on tfjs's heap: `rows` of `row`
 * words over two outer dimensions, each side with its own strides (in words). Slices read a
 * strided source into a contiguous output, concatenations write contiguous inputs into a strided
 * output. A copy moves the same bits, so the results are exact.
 */
export type CopyRows = (src: number, dst: number, d0: number, d1: number, row: number, s0: number, s1: number, t0: number, t1: number) => void

// params (i32): src and dst (byte pointers), d0, d1, row, source strides s0, s1, destination strides t0, t1 (words)
const [SRC, DST, D0, D1, ROW, S0, S1, T0, T1] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
const [I0, I1, J, PS, PD] = [9, 10, 11, 12, 13]
const { get, set } = op

const rowStart = (base: number, stride0: number, stride1: number): Bytes =>
  byteAddress(base, [...get(I0), ...get(stride0), ...op.i32Mul(), ...get(I1), ...get(stride1), ...op.i32Mul(), ...op.i32Add()])

const BODY: Bytes = forUp(I0, D0, forUp(I1, D1, [
  ...rowStart(SRC, S0, S1), ...set(PS),
  ...rowStart(DST, T0, T1), ...set(PD),
  ...lanesThenOne(J, ROW,
    [...byteAddress(PD, get(J)), ...byteAddress(PS, get(J)), ...op.v128Load(), ...op.v128Store()],
    [...byteAddress(PD, get(J)), ...byteAddress(PS, get(J)), ...op.i32Load(), ...op.i32Store()]),
]))

export const copyRowsOnHeap = kernelOnHeap<CopyRows>(() => kernelModule('copy', new Array<number>(9).fill(I32), [I32, I32, I32, I32, I32], BODY), 'copy')

/**
 * A slice of a tensor of shape `shape` ([begin, begin + size) per dimension) as at most three
 * dimensions: the innermost run of words and two outer dimensions with their source strides (in
 * words), plus the word offset of the first element; null if it needs more. Dimensions of size 1
 * drop out and a dimension taken whole merges into the one outside it.
 */
export function sliceAsRows(shape: number[], begin: number[], size: number[]): { start: number; dims: [number, number, number]; strides: [number, number] } | null {
  const rank = shape.length
  const stridesOf = new Array<number>(rank)
  let step = 1
  for (let d = rank - 1; d >= 0; d--) {
    stridesOf[d] = step
    step *= shape[d]!
  }
  let start = 0
  for (let d = 0; d < rank; d++) start += begin[d]! * stridesOf[d]!
  // [size, stride] runs from the innermost dimension out; a dimension whose stride steps exactly
  // over the run inside it (that run was taken whole) extends the run
  const runs: [number, number][] = []
  for (let d = rank - 1; d >= 0; d--) {
    if (size[d] === 1) continue
    const inner = runs.at(-1)
    if (inner && inner[0] * inner[1] === stridesOf[d]) inner[0] *= size[d]!
    else runs.push([size[d]!, stridesOf[d]!])
  }
  if (runs.length === 0 || runs[0]![1] !== 1) runs.unshift([1, 1]) // the innermost run must be contiguous
  if (runs.length > 3) return null
  while (runs.length < 3) runs.push([1, 0])
  const [row, r1, r0] = runs as [[number, number], [number, number], [number, number]]
  return { start, dims: [r0[0], r1[0], row[0]], strides: [r0[1], r1[1]] }
}
