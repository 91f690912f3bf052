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
 * Softmax cross-entropy on WebGPU as two kernels: one dispatch for the loss, one for its gradient.
 * tfjs's `tf.losses.softmaxCrossEntropy` records about a dozen kernels forward (log-sum-exp as
 * max, sub, exp, sum, log, add; then sub, mul, neg, sum, and the mean) and several backward, each
 * a dispatch with its own uniform upload; on a small model that host-side work is a fair share of
 * the step.
 *
 * The arithmetic follows tfjs's op for op in float32, with `labels` and `logits` of shape
 * [rows, classes]:
 *   lseᵣ = maxᵣ + log Σ_c exp(x_rc − maxᵣ);  loss = (Σ_r Σ_c −(l_rc · (x_rc − lseᵣ))) / rows
 *   ∂loss/∂x_rc = (dy / rows) · (exp(x_rc − lseᵣ) − l_rc);  ∂loss/∂l_rc = −∂loss/∂x_rc
 * Only the summation order differs, so values agree with tfjs's to float32 tolerance.
 *
 * Both are tfjs kernels registered for the webgpu backend (with a gradient), so they sit on
 * tfjs's tape like any op; `webgpuSoftmaxCrossEntropy` runs the forward one.
 */

export const SOFTMAX_CE_KERNEL = 'ConvergeSoftmaxCrossEntropy'
export const SOFTMAX_CE_GRAD_KERNEL = 'ConvergeSoftmaxCrossEntropyGrad'

const FORWARD_GROUP = 256
const GRAD_GROUP = 64

const DIMS = /* wgsl */ `
struct Dims { rows: u32, cols: u32 }
`

// One workgroup: each thread sums the losses of rows t, t+256, ...; then a tree reduction, so the
// result does not depend on scheduling.
const forwardShader = (labelsType: string, logitsType: string) => /* wgsl */ `${DIMS}
@group(0) @binding(0) var<storage, read_write> loss: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<${labelsType}>;
@group(0) @binding(2) var<storage, read> logits: array<${logitsType}>;
@group(0) @binding(3) var<uniform> d: Dims;
fn L(i: u32) -> f32 { return f32(logits[i]); }
fn Y(i: u32) -> f32 { return f32(labels[i]); }
var<workgroup> partial: array<f32, ${FORWARD_GROUP}>;

@compute @workgroup_size(${FORWARD_GROUP})
fn main(@builtin(local_invocation_index) t: u32) {
  var acc = 0.0;
  for (var r = t; r < d.rows; r = r + ${FORWARD_GROUP}u) {
    let base = r * d.cols;
    var mx = L(base);
    for (var c = 1u; c < d.cols; c = c + 1u) { mx = max(mx, L(base + c)); }
    var s = 0.0;
    for (var c = 0u; c < d.cols; c = c + 1u) { s = s + exp(L(base + c) - mx); }
    let lse = mx + log(s);
    var row = 0.0;
    for (var c = 0u; c < d.cols; c = c + 1u) { row = row + -(Y(base + c) * (L(base + c) - lse)); }
    acc = acc + row;
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var stride = ${FORWARD_GROUP / 2}u; stride > 0u; stride = stride / 2u) {
    if (t < stride) { partial[t] = partial[t] + partial[t + stride]; }
    workgroupBarrier();
  }
  if (t == 0u) { loss[0] = partial[0] / f32(d.rows); }
}
`

// One workgroup per row (rows past the dispatch limit taken in turn): the row's max and sum of
// exponentials reduced in workgroup memory, then every class's gradient written.
const gradientShader = (labelsType: string, logitsType: string, dyType: string) => /* wgsl */ `${DIMS}
@group(0) @binding(0) var<storage, read_write> grad: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<${labelsType}>;
@group(0) @binding(2) var<storage, read> logits: array<${logitsType}>;
@group(0) @binding(3) var<storage, read> dy: array<${dyType}>;
@group(0) @binding(4) var<uniform> d: Dims;
fn L(i: u32) -> f32 { return f32(logits[i]); }
fn Y(i: u32) -> f32 { return f32(labels[i]); }
var<workgroup> red: array<f32, ${GRAD_GROUP}>;

@compute @workgroup_size(${GRAD_GROUP})
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let scale = f32(dy[0]) / f32(d.rows);
  for (var r = wg.x; r < d.rows; r = r + groups.x) {
    let base = r * d.cols;
    // Starts from one of the row's own values (WGSL has no -inf literal).
    var mx = L(base + min(t, d.cols - 1u));
    for (var c = t; c < d.cols; c = c + ${GRAD_GROUP}u) { mx = max(mx, L(base + c)); }
    red[t] = mx;
    workgroupBarrier();
    for (var stride = ${GRAD_GROUP / 2}u; stride > 0u; stride = stride / 2u) {
      if (t < stride) { red[t] = max(red[t], red[t + stride]); }
      workgroupBarrier();
    }
    let m = red[0];
    workgroupBarrier();
    var s = 0.0;
    for (var c = t; c < d.cols; c = c + ${GRAD_GROUP}u) { s = s + exp(L(base + c) - m); }
    red[t] = s;
    workgroupBarrier();
    for (var stride = ${GRAD_GROUP / 2}u; stride > 0u; stride = stride / 2u) {
      if (t < stride) { red[t] = red[t] + red[t + stride]; }
      workgroupBarrier();
    }
    let lse = m + log(red[0]);
    workgroupBarrier();
    for (var c = t; c < d.cols; c = c + ${GRAD_GROUP}u) {
      grad[base + c] = scale * (exp(L(base + c) - lse) - Y(base + c));
    }
  }
}
`

/**
 * tfjs-webgpu stores an int32→float32 cast (e.g. `tf.oneHot(...).toFloat()`) as the int32 buffer
 * under a float32 label, so a tensor's element type in GPU memory is the backend's record of it,
 * not `tensor.dtype`: a pipeline per storage type of the inputs, each read as f32.
 */
const pipelines = new WeakMap<GpuDeviceLike, Map<string, GpuComputePipelineLike>>()

function pipelineFor(device: GpuDeviceLike, which: 'forward' | 'gradient', types: string[]): GpuComputePipelineLike {
  let byKey = pipelines.get(device)
  if (!byKey) pipelines.set(device, (byKey = new Map()))
  const key = `${which} ${types.join(' ')}`
  let p = byKey.get(key)
  if (!p) {
    const code = which === 'forward' ? forwardShader(types[0]!, types[1]!) : gradientShader(types[0]!, types[1]!, types[2]!)
    const label = `converge softmax cross-entropy ${key}`
    p = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code, label }), entryPoint: 'main' }, label })
    byKey.set(key, p)
  }
  return p
}

/** The WGSL element type of a tensor's GPU buffer (int32 and bool are stored as i32). */
function storageType(backend: WebgpuBackendLike, t: tf.TensorInfo): 'f32' | 'i32' {
  return backend.tensorMap.get(t.dataId)!.dtype === 'float32' ? 'f32' : 'i32'
}

type Info = tf.TensorInfo

function bufferOf(backend: WebgpuBackendLike, t: Info): GpuBufferLike {
  backend.uploadToGPU(t.dataId)
  return backend.tensorMap.get(t.dataId)!.resource as GpuBufferLike
}

/** Records one dispatch of `pipeline` writing a new float32 tensor of `shape` from `inputs`. */
function dispatch(backend: WebgpuBackendLike, pipeline: GpuComputePipelineLike, shape: number[], inputs: Info[], rows: number, cols: number, groups: number): Info {
  const out = (backend as unknown as { makeTensorInfo(shape: number[], dtype: tf.DataType): Info }).makeTensorInfo(shape, 'float32')
  const buffers = [out, ...inputs].map((t) => bufferOf(backend, t))
  const dims = uniformBuffer(backend, new Float32Array(Uint32Array.of(rows, cols, 0, 0).buffer))
  const group = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [...buffers.map((buffer, binding) => ({ binding, resource: { buffer } })), { binding: buffers.length, resource: { buffer: dims } }],
  })
  for (const t of [out, ...inputs]) backend.commandQueueOwnedIds.add(t.dataId)
  const pass = computePass(backend)
  pass.setPipeline(pipeline)
  pass.setBindGroup(0, group)
  pass.dispatchWorkgroups(groups)
  countDispatch(backend)
  return out
}

function rowsAndCols(shape: number[]): [number, number] {
  const cols = shape[shape.length - 1]!
  return [cols === 0 ? 0 : tf.util.sizeFromShape(shape) / cols, cols]
}

function webgpuOf(kernel: string, backend: unknown): WebgpuBackendLike {
  const b = activeWebgpuBackend()
  if (!b || b !== backend) throw new Error(`${kernel}: runs only on the active webgpu backend`)
  return b
}

function forwardKernel({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): Info {
  const b = webgpuOf(SOFTMAX_CE_KERNEL, backend)
  const { labels, logits } = inputs as { labels: Info; logits: Info }
  const [rows, cols] = rowsAndCols(logits.shape)
  return dispatch(b, pipelineFor(b.device, 'forward', [labels, logits].map((t) => storageType(b, t))), [], [labels, logits], rows, cols, 1)
}

function gradientKernel({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): Info {
  const b = webgpuOf(SOFTMAX_CE_GRAD_KERNEL, backend)
  const { dy, labels, logits } = inputs as { dy: Info; labels: Info; logits: Info }
  const [rows, cols] = rowsAndCols(logits.shape)
  const groups = Math.max(1, Math.min(rows, b.device.limits.maxComputeWorkgroupsPerDimension))
  return dispatch(b, pipelineFor(b.device, 'gradient', [labels, logits, dy].map((t) => storageType(b, t))), [...logits.shape], [labels, logits, dy], rows, cols, groups)
}

let registered = false

/** Registers both kernels for the webgpu backend, and the forward's gradient (once per process). */
export function registerSoftmaxCrossEntropyKernels(): void {
  if (registered) return
  registered = true
  tf.registerKernel({ kernelName: SOFTMAX_CE_KERNEL, backendName: 'webgpu', kernelFunc: forwardKernel as unknown as tf.KernelFunc })
  tf.registerKernel({ kernelName: SOFTMAX_CE_GRAD_KERNEL, backendName: 'webgpu', kernelFunc: gradientKernel as unknown as tf.KernelFunc })
  tf.registerGradient({
    kernelName: SOFTMAX_CE_KERNEL,
    inputsToSave: ['labels', 'logits'],
    gradFunc: (dy, saved) => {
      const [labels, logits] = saved as [tf.Tensor, tf.Tensor]
      const dLogits = () => tf.engine().runKernel(SOFTMAX_CE_GRAD_KERNEL, { dy: dy as tf.Tensor, labels, logits }) as tf.Tensor
      // Labels are data in training, so this is rarely asked for; tfjs's value is the negation.
      return { logits: dLogits, labels: () => tf.neg(dLogits()) }
    },
  })
}

/**
 * The mean over rows of softmax cross-entropy between `labels` and `logits` (float32, same shape,
 * classes last), as tfjs's `tf.losses.softmaxCrossEntropy(labels, logits)` with its defaults, in
 * one dispatch forward and one for the gradient. Needs the webgpu backend active.
 */
export function webgpuSoftmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  if (!activeWebgpuBackend()) throw new Error('webgpuSoftmaxCrossEntropy: the active backend is not webgpu')
  if (labels.dtype !== 'float32' || logits.dtype !== 'float32') throw new TypeError(`webgpuSoftmaxCrossEntropy: expected float32 labels and logits, got ${labels.dtype} and ${logits.dtype}`)
  if (logits.rank < 1 || !tf.util.arraysEqual(labels.shape, logits.shape)) {
    throw new TypeError(`webgpuSoftmaxCrossEntropy: labels and logits must have the same shape, got [${labels.shape}] and [${logits.shape}]`)
  }
  registerSoftmaxCrossEntropyKernels()
  return tf.engine().runKernel(SOFTMAX_CE_KERNEL, { labels, logits }) as tf.Scalar
}
