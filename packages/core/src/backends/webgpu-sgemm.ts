import * as tf from '@tensorflow/tfjs'
import {
  activeWebgpuBackend,
  computePass,
  countDispatch,
  uniformBuffer,
  type GpuBufferLike,
  type GpuComputePipelineLike,
  type GpuDeviceLike,
  type WebgpuBackendLike,
} from './webgpu-device.js'

/**
 * A tiled float32 matrix multiply (SGEMM) for tfjs's `BatchMatMul` and `_FusedMatMul` on WebGPU, used only when
 * asked for: `useBackend('webgpu', { webgpu: { matmul: 'converge' } })`. tfjs's own kernel stays the
 * default because no GPU was at hand to show where this one is faster (docs/performance.md).
 *
 * Each workgroup of 16×8 threads computes a 64×64 tile of one batch's output; each thread 8 rows ×
 * 4 columns (a vec4 per row), stepping K by 16 through two tiles in workgroup memory (A k-major, B as
 * vec4 rows: 8 KiB). 128 threads and 8 KiB stay within WebGPU's compatibility-mode limits. Loads from
 * global memory are bounds-checked (zero outside the matrix) and ordered so that consecutive threads
 * read consecutive addresses for each of the four layouts A/Aᵀ × B/Bᵀ, each its own pipeline; they
 * are vec4 loads where the contiguous dimension is a multiple of 4 (and the buffer is f32), else scalar.
 *
 * Handled: float32 inputs and output, batch sizes equal or one of them 1 (broadcast), no empty
 * dimension, batch ≤ the device's workgroups per dimension. Anything else (int32 matMul, batch
 * shapes that broadcast both ways such as [2,1] × [1,3], empty tensors) goes to tfjs's kernel.
 * `_FusedMatMul` (tf.fused.matMul, which tf.layers' dense uses) runs here too, the bias and
 * activation applied as each output is written, for a bias of one value or one per column and the
 * activations linear, relu, relu6, elu, leakyrelu and sigmoid; prelu and other biases go to tfjs.
 */

export const MATMUL_KERNELS = ['tfjs', 'converge'] as const
export type MatmulKernel = (typeof MATMUL_KERNELS)[number]

const TILE_M = 64
const TILE_N = 64
const TILE_K = 16
const THREADS_X = 16 // columns: TILE_N / 4 (a vec4 each)
const THREADS_Y = 8 // rows: TILE_M / 8 (eight each)
const THREADS = THREADS_X * THREADS_Y
const ROWS_PER_THREAD = TILE_M / THREADS_Y
const LOADS_PER_THREAD = (TILE_M * TILE_K) / THREADS // the same for B's tile

/** How a tile is read from global memory: element by element, or as vec4s along the contiguous dimension. */
export interface SgemmLoads {
  /** A's rows (k) are a multiple of 4 long (Aᵀ: its rows of m), and its storage is f32. */
  readonly vec4A: boolean
  readonly vec4B: boolean
}

/** WGSL that fills As (k-major, 64 per k) from A for the k-step at k0. */
function loadATile(transposeA: boolean, vec4: boolean): string {
  if (!vec4) {
    // consecutive threads take consecutive addresses: along k for A, along m for Aᵀ
    const index = transposeA ? `let mm = l % ${TILE_M}u; let ka = l / ${TILE_M}u;` : `let ka = l % ${TILE_K}u; let mm = l / ${TILE_K}u;`
    return `for (var i = 0u; i < ${LOADS_PER_THREAD}u; i = i + 1u) {
      let l = i * ${THREADS}u + tid; ${index}
      var v = 0.0;
      let m = row0 + mm; let k = k0 + ka;
      if (m < d.m && k < d.k) { v = f32(a[baseA + ${transposeA ? 'k * d.m + m' : 'm * d.k + k'}]); }
      As[ka * ${TILE_M}u + mm] = v;
    }`
  }
  // four consecutive elements per load; the dimension they run along is a multiple of 4, so a vec4 is all in or all out
  const index = transposeA ? `let mq = l % ${TILE_M / 4}u; let ka = l / ${TILE_M / 4}u; let m = row0 + mq * 4u; let k = k0 + ka;` : `let kq = l % ${TILE_K / 4}u; let mm = l / ${TILE_K / 4}u; let m = row0 + mm; let k = k0 + kq * 4u;`
  const store = transposeA ? `for (var j = 0u; j < 4u; j = j + 1u) { As[ka * ${TILE_M}u + mq * 4u + j] = v[j]; }` : `for (var j = 0u; j < 4u; j = j + 1u) { As[(kq * 4u + j) * ${TILE_M}u + mm] = v[j]; }`
  return `for (var i = 0u; i < ${LOADS_PER_THREAD / 4}u; i = i + 1u) {
      let l = i * ${THREADS}u + tid; ${index}
      var v = vec4<f32>();
      if (m < d.m && k < d.k) { v = a[(baseA + ${transposeA ? 'k * d.m + m' : 'm * d.k + k'}) / 4u]; }
      ${store}
    }`
}

/** WGSL that fills Bs (k-major, 16 vec4s per k) from B for the k-step at k0. */
function loadBTile(transposeB: boolean, vec4: boolean): string {
  if (!vec4) {
    const index = transposeB ? `let kb = l % ${TILE_K}u; let nn = l / ${TILE_K}u;` : `let nn = l % ${TILE_N}u; let kb = l / ${TILE_N}u;`
    return `for (var i = 0u; i < ${LOADS_PER_THREAD}u; i = i + 1u) {
      let l = i * ${THREADS}u + tid; ${index}
      var v = 0.0;
      let k = k0 + kb; let n = col0 + nn;
      if (k < d.k && n < d.n) { v = f32(b[baseB + ${transposeB ? 'n * d.k + k' : 'k * d.n + n'}]); }
      Bs[kb * ${TILE_N / 4}u + nn / 4u][nn % 4u] = v;
    }`
  }
  const index = transposeB ? `let kq = l % ${TILE_K / 4}u; let nn = l / ${TILE_K / 4}u; let k = k0 + kq * 4u; let n = col0 + nn;` : `let nq = l % ${TILE_N / 4}u; let kb = l / ${TILE_N / 4}u; let k = k0 + kb; let n = col0 + nq * 4u;`
  const store = transposeB
    ? `for (var j = 0u; j < 4u; j = j + 1u) { Bs[(kq * 4u + j) * ${TILE_N / 4}u + nn / 4u][nn % 4u] = v[j]; }`
    : `Bs[kb * ${TILE_N / 4}u + nq] = v;`
  return `for (var i = 0u; i < ${LOADS_PER_THREAD / 4}u; i = i + 1u) {
      let l = i * ${THREADS}u + tid; ${index}
      var v = vec4<f32>();
      if (k < d.k && n < d.n) { v = b[(baseB + ${transposeB ? 'n * d.k + k' : 'k * d.n + n'}) / 4u]; }
      ${store}
    }`
}

/**
 * _FusedMatMul's epilogue, applied as tfjs applies it: the bias added, then the activation.
 * Each formula is the one tfjs's CPU backend uses (leakyrelu's alpha comes as a uniform).
 */
const ACTIVATIONS = {
  linear: 'v',
  relu: 'max(v, 0.0)',
  relu6: 'clamp(v, 0.0, 6.0)',
  elu: 'select(exp(v) - 1.0, v, v >= 0.0)',
  leakyrelu: 'select(d.alpha * v, v, v >= 0.0)',
  sigmoid: '1.0 / (1.0 + exp(-v))',
} as const
type Activation = keyof typeof ACTIVATIONS

export interface Epilogue {
  /** A bias of one value, or of one per output column (shape [n] or [1, n]), and its storage type. */
  readonly bias: { readonly shape: 'scalar' | 'row'; readonly type: string } | null
  readonly activation: Activation
}
const NO_EPILOGUE: Epilogue = { bias: null, activation: 'linear' }

/**
 * The WGSL for one layout. `a` holds A (m×k) or, transposed, Aᵀ stored k×m; `b` holds B (k×n) or
 * Bᵀ stored n×k. Element types are the inputs' storage types (see `storageType`), read as f32;
 * an input loaded by vec4 is bound as array<vec4<f32>>.
 */
export function sgemmShader(
  transposeA: boolean,
  transposeB: boolean,
  aType: string,
  bType: string,
  loads: SgemmLoads = { vec4A: false, vec4B: false },
  epilogue: Epilogue = NO_EPILOGUE,
): string {
  const bias = epilogue.bias === null ? '' : epilogue.bias.shape === 'scalar' ? ' + f32(bias[0])' : ' + f32(bias[c])'
  return /* wgsl */ `
struct Dims { m: u32, k: u32, n: u32, strideA: u32, strideB: u32, alpha: f32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<${loads.vec4A ? 'vec4<f32>' : aType}>;
@group(0) @binding(2) var<storage, read> b: array<${loads.vec4B ? 'vec4<f32>' : bType}>;
@group(0) @binding(3) var<uniform> d: Dims;
${epilogue.bias === null ? '' : `@group(0) @binding(4) var<storage, read> bias: array<${epilogue.bias.type}>;`}
fn activation(v: f32) -> f32 { return ${ACTIVATIONS[epilogue.activation]}; }
var<workgroup> As: array<f32, ${TILE_K * TILE_M}>;
var<workgroup> Bs: array<vec4<f32>, ${(TILE_K * TILE_N) / 4}>;

@compute @workgroup_size(${THREADS_X}, ${THREADS_Y})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
  let tid = lid.y * ${THREADS_X}u + lid.x;
  let row0 = wg.y * ${TILE_M}u;
  let col0 = wg.x * ${TILE_N}u;
  let baseA = wg.z * d.strideA;
  let baseB = wg.z * d.strideB;
  var acc: array<vec4<f32>, ${ROWS_PER_THREAD}>;
  for (var k0 = 0u; k0 < d.k; k0 = k0 + ${TILE_K}u) {
    ${loadATile(transposeA, loads.vec4A)}
    ${loadBTile(transposeB, loads.vec4B)}
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk = kk + 1u) {
      let bv = Bs[kk * ${TILE_N / 4}u + lid.x];
      let ar = kk * ${TILE_M}u + lid.y * ${ROWS_PER_THREAD}u;
      for (var i = 0u; i < ${ROWS_PER_THREAD}u; i = i + 1u) { acc[i] = acc[i] + As[ar + i] * bv; }
    }
    workgroupBarrier();
  }
  let baseOut = wg.z * d.m * d.n;
  for (var i = 0u; i < ${ROWS_PER_THREAD}u; i = i + 1u) {
    let r = row0 + lid.y * ${ROWS_PER_THREAD}u + i;
    if (r >= d.m) { break; }
    for (var j = 0u; j < 4u; j = j + 1u) {
      let c = col0 + lid.x * 4u + j;
      if (c < d.n) { out[baseOut + r * d.n + c] = activation(acc[i][j]${bias}); }
    }
  }
}
`
}

const pipelines = new WeakMap<GpuDeviceLike, Map<string, GpuComputePipelineLike>>()

function pipelineFor(device: GpuDeviceLike, transposeA: boolean, transposeB: boolean, aType: string, bType: string, loads: SgemmLoads, epilogue: Epilogue): GpuComputePipelineLike {
  let byKey = pipelines.get(device)
  if (!byKey) pipelines.set(device, (byKey = new Map()))
  const fused = epilogue.bias ? ` bias ${epilogue.bias.shape} ${epilogue.bias.type}` : ''
  const key = `${transposeA ? 'Aᵀ' : 'A'}${transposeB ? 'Bᵀ' : 'B'} ${loads.vec4A ? 'vec4' : aType} ${loads.vec4B ? 'vec4' : bType}${fused} ${epilogue.activation}`
  let p = byKey.get(key)
  if (!p) {
    const label = `converge sgemm ${key}`
    const code = sgemmShader(transposeA, transposeB, aType, bType, loads, epilogue)
    p = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code, label }), entryPoint: 'main' }, label })
    byKey.set(key, p)
  }
  return p
}

type Info = tf.TensorInfo

/** The WGSL element type of a tensor's GPU buffer: tfjs-webgpu may keep a float32 cast of int32 data in its int32 buffer. */
function storageType(backend: WebgpuBackendLike, t: Info): 'f32' | 'i32' {
  return backend.tensorMap.get(t.dataId)!.dtype === 'float32' ? 'f32' : 'i32'
}

function bufferOf(backend: WebgpuBackendLike, t: Info): GpuBufferLike {
  backend.uploadToGPU(t.dataId)
  return backend.tensorMap.get(t.dataId)!.resource as GpuBufferLike
}

interface Plan {
  readonly batchA: number
  readonly batchB: number
  readonly m: number
  readonly k: number
  readonly n: number
  readonly outShape: number[]
}

/** The problem as this kernel runs it, or null when it is one for tfjs's kernel. */
function plan(a: Info, b: Info, transposeA: boolean, transposeB: boolean, maxGroups: number): Plan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null
  const [ra, ca] = a.shape.slice(-2) as [number, number]
  const [rb, cb] = b.shape.slice(-2) as [number, number]
  const [m, k] = transposeA ? [ca, ra] : [ra, ca]
  const [k2, n] = transposeB ? [cb, rb] : [rb, cb]
  if (k !== k2 || m === 0 || n === 0 || k === 0) return null
  const outerA = a.shape.slice(0, -2)
  const outerB = b.shape.slice(0, -2)
  const batchA = tf.util.sizeFromShape(outerA)
  const batchB = tf.util.sizeFromShape(outerB)
  let outer: number[]
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB)
  } catch {
    return null
  }
  const batch = tf.util.sizeFromShape(outer)
  // One batch index for both inputs, or one input shared by all: the two cases a flat index covers.
  if (!(batchA === batchB || batchA === 1 || batchB === 1) || batch !== Math.max(batchA, batchB)) return null
  if (batch > maxGroups || Math.ceil(m / TILE_M) > maxGroups || Math.ceil(n / TILE_N) > maxGroups) return null
  return { batchA, batchB, m, k, n, outShape: [...outer, m, n] }
}

const counts = { sgemm: 0, tfjs: 0, vec4A: 0, vec4B: 0 }

/**
 * How many BatchMatMul and _FusedMatMul calls the SGEMM ran (and of those, how many read A and B by vec4) and how
 * many it passed to tfjs's kernel since the last reset, while 'converge' was in place: shows
 * whether a model's matmuls actually run here.
 */
export function sgemmCounts(reset = false): { sgemm: number; tfjs: number; vec4A: number; vec4B: number } {
  const now = { ...counts }
  if (reset) counts.sgemm = counts.tfjs = counts.vec4A = counts.vec4B = 0
  return now
}

interface BatchMatMulArgs {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}

/**
 * _FusedMatMul's bias and activation as the epilogue runs them, or null when they are ones it
 * leaves to tfjs: prelu (its weights broadcast), a bias other than one value or one per column.
 */
function epilogueOf(backend: WebgpuBackendLike, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined, n: number): Epilogue | null {
  const activation = String(attrs?.activation ?? 'linear')
  if (!(activation in ACTIVATIONS) || inputs.preluActivationWeights) return null
  const bias = inputs.bias
  if (!bias) return { bias: null, activation: activation as Activation }
  if (bias.dtype !== 'float32' || bias.shape.length > 2) return null
  const size = tf.util.sizeFromShape(bias.shape)
  const shape = size === 1 ? 'scalar' : size === n && bias.shape.at(-1) === n ? 'row' : null
  if (!shape) return null
  return { bias: { shape, type: storageType(backend, bias) }, activation: activation as Activation }
}

/** Runs the SGEMM (with _FusedMatMul's epilogue when `fused`), or returns null when the problem is one it leaves to tfjs. */
function sgemm({ inputs, backend, attrs }: BatchMatMulArgs, fused: boolean): Info | null {
  const b = activeWebgpuBackend()
  if (!b || b !== backend) return null
  const { a, b: bIn } = inputs as { a: Info; b: Info }
  const transposeA = Boolean(attrs?.transposeA)
  const transposeB = Boolean(attrs?.transposeB)
  const p = plan(a, bIn, transposeA, transposeB, b.device.limits.maxComputeWorkgroupsPerDimension)
  if (!p) return null
  const epilogue = fused ? epilogueOf(b, inputs, attrs, p.n) : NO_EPILOGUE
  if (!epilogue) return null
  const inputsUsed = epilogue.bias ? [a, bIn, inputs.bias!] : [a, bIn]
  const [aType, bType] = [storageType(b, a), storageType(b, bIn)]
  // vec4 loads run along A's k (Aᵀ: m) and B's n (Bᵀ: k): that length a multiple of 4 keeps every vec4 aligned and whole
  const loads: SgemmLoads = {
    vec4A: aType === 'f32' && (transposeA ? p.m : p.k) % 4 === 0,
    vec4B: bType === 'f32' && (transposeB ? p.k : p.n) % 4 === 0,
  }
  counts.vec4A += Number(loads.vec4A)
  counts.vec4B += Number(loads.vec4B)
  const pipeline = pipelineFor(b.device, transposeA, transposeB, aType, bType, loads, epilogue)
  const out = (b as unknown as { makeTensorInfo(shape: number[], dtype: tf.DataType): Info }).makeTensorInfo(p.outShape, 'float32')
  const buffers = [out, ...inputsUsed].map((t) => bufferOf(b, t))
  const strideA = p.batchA === 1 ? 0 : p.m * p.k
  const strideB = p.batchB === 1 ? 0 : p.k * p.n
  const dims = new Uint32Array(8)
  dims.set([p.m, p.k, p.n, strideA, strideB])
  new Float32Array(dims.buffer)[5] = Number(attrs?.leakyreluAlpha ?? 0.2)
  const uniform = uniformBuffer(b, new Float32Array(dims.buffer))
  // bindings: 0 out, 1 a, 2 b, 3 the dimensions, 4 the bias
  const entries = buffers.map((buffer, i) => ({ binding: i < 3 ? i : i + 1, resource: { buffer } }))
  const group = b.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [...entries, { binding: 3, resource: { buffer: uniform } }] })
  for (const t of [out, ...inputsUsed]) b.commandQueueOwnedIds.add(t.dataId)
  const pass = computePass(b)
  pass.setPipeline(pipeline)
  pass.setBindGroup(0, group)
  pass.dispatchWorkgroups(Math.ceil(p.n / TILE_N), Math.ceil(p.m / TILE_M), Math.max(p.batchA, p.batchB))
  countDispatch(b)
  return out
}

/** The kernels the SGEMM stands in for; whether each is the fused one. */
const KERNELS = { BatchMatMul: false, _FusedMatMul: true } as const

/** tfjs's kernels for webgpu, kept while ours are registered in their place. */
let tfjsKernels: tf.KernelConfig[] | null = null

/** Which kernel runs `BatchMatMul` and `_FusedMatMul` on webgpu now. */
export function activeMatmulKernel(): MatmulKernel {
  return tfjsKernels ? 'converge' : 'tfjs'
}

/**
 * Puts converge's SGEMM in place of tfjs's `BatchMatMul` and `_FusedMatMul` kernels on webgpu
 * ('converge'), or tfjs's back ('tfjs'). The gradients are tfjs's (registered per kernel name, not
 * per backend), and they call matMul, so training runs through whichever kernel is in place.
 * Needs tfjs-backend-webgpu imported.
 */
export function setMatmulKernel(which: MatmulKernel): void {
  if (which === activeMatmulKernel()) return
  if (which === 'tfjs') {
    for (const original of tfjsKernels!) {
      tf.unregisterKernel(original.kernelName, 'webgpu')
      tf.registerKernel(original)
    }
    tfjsKernels = null
    return
  }
  const originals = Object.keys(KERNELS).map((name) => {
    const original = tf.getKernel(name, 'webgpu')
    if (!original) throw new Error(`setMatmulKernel: tfjs's webgpu backend has no ${name} kernel registered (start it with useBackend('webgpu') first)`)
    return original
  })
  tfjsKernels = originals
  for (const original of originals) {
    const fused = KERNELS[original.kernelName as keyof typeof KERNELS]
    tf.unregisterKernel(original.kernelName, 'webgpu')
    tf.registerKernel({
      kernelName: original.kernelName,
      backendName: 'webgpu',
      kernelFunc: ((args: BatchMatMulArgs) => {
        const out = sgemm(args, fused)
        if (out) {
          counts.sgemm++
          return out
        }
        counts.tfjs++
        return (original.kernelFunc as unknown as (x: BatchMatMulArgs) => Info)(args)
      }) as unknown as tf.KernelFunc,
    })
  }
}
