import * as tf from '@tensorflow/tfjs'
import {
  cachedPipeline,
  computePass,
  countDispatch,
  gpuBuffer,
  ownBuffer,
  recordUse,
  uniformBuffer,
  type GpuBufferLike,
  type WebgpuBackendLike,
} from '@converge/core/backends'

/**
 * FRUGAL's element-wise updates as three WGSL kernels, each rewriting its outputs in place. The
 * arithmetic is FrugalOptimizer's tfjs op chain, op for op in float32 (see frugal-optimizer.ts):
 *   Adam direction  d = (m̂ / (√v̂ + ε)) · (−lr),  m ← m·β₁ + g·(1−β₁),  v ← v·β₂ + g²·(1−β₂)
 *   state-free      f = sign(r) · (−lr_free)  (signsgd)  or  r · (−lr_free)  (sgd)  or  0  (none)
 *   parameter       p ← p·(1 − lr·wd) + Δ
 * - `maskedAdam`: Adam on the entries that have state (all of them: always-Adam and active blocks;
 *   the selected columns or entries: columns/randk, found by binary search in the sorted indices)
 *   and the state-free rule on the rest, in one dispatch per variable.
 * - `lowRankAdam`: the moment update of a projected (low-rank) gradient, replacing it in place by
 *   the Adam direction, which tfjs's matmul then projects back.
 * - `combine`: p ← p·(1 − lr·wd) + (back-projected direction) + f(g − back-projected gradient); with
 *   no direction, the state-free-only update of a tensor without Adam state.
 * A guard (the step's loss) makes every kernel return before writing anything when it is not finite.
 */

const WORKGROUP = 256

const GUARD = /* wgsl */ `
// A non-finite loss (exponent bits all ones: Inf or NaN) leaves everything as it was.
fn skipped() -> bool {
  return h.guarded != 0u && (bitcast<u32>(guard[0]) & 0x7f800000u) == 0x7f800000u;
}
fn freeDelta(r: f32) -> f32 {
  if (h.freeRule == 1u) { return sign(r) * h.negFreeLr; }
  if (h.freeRule == 2u) { return r * h.negFreeLr; }
  return 0.0;
}
`

/** Which entries of the parameter have Adam state in `maskedAdam`. */
export const MASK = { all: 0, columns: 1, entries: 2 } as const
/** The state-free rule, as the kernels number it. */
export const FREE_RULE = { none: 0, signsgd: 1, sgd: 2 } as const

const ADAM_FIELDS = `
  beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32,
  biasCorrection1: f32, biasCorrection2: f32, epsilon: f32, negLr: f32,`

const MASKED_ADAM = /* wgsl */ `
struct Hyper {
  n: u32, mask: u32, cols: u32, selected: u32,${ADAM_FIELDS}
  decay: f32, negFreeLr: f32, freeRule: u32, guarded: u32,
}
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read> idx: array<i32>;
@group(0) @binding(5) var<storage, read> guard: array<f32>;
@group(0) @binding(6) var<uniform> h: Hyper;
${GUARD}
// Position of key among the sorted selected indices, or -1 when it is not selected.
fn position(key: u32) -> i32 {
  var lo = 0u;
  var hi = h.selected;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (u32(idx[mid]) < key) { lo = mid + 1u; } else { hi = mid; }
  }
  if (lo < h.selected && u32(idx[lo]) == key) { return i32(lo); }
  return -1;
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (skipped()) { return; }
  let stride = groups.x * ${WORKGROUP}u;
  for (var i = id.x; i < h.n; i = i + stride) {
    var k = -1;
    if (h.mask == ${MASK.all}u) {
      k = i32(i);
    } else if (h.mask == ${MASK.columns}u) {
      let j = position(i % h.cols);
      if (j >= 0) { k = i32(i / h.cols) * i32(h.selected) + j; }
    } else {
      k = position(i);
    }
    let g = grad[i];
    var delta: f32;
    if (k >= 0) {
      let m1 = m[k] * h.beta1 + g * h.oneMinusBeta1;
      let v1 = v[k] * h.beta2 + (g * g) * h.oneMinusBeta2;
      m[k] = m1;
      v[k] = v1;
      delta = ((m1 / h.biasCorrection1) / (sqrt(v1 / h.biasCorrection2) + h.epsilon)) * h.negLr;
    } else {
      delta = freeDelta(g);
    }
    param[i] = param[i] * h.decay + delta;
  }
}
`

const LOW_RANK_ADAM = /* wgsl */ `
struct Hyper {
  n: u32, guarded: u32, freeRule: u32, pad: u32,${ADAM_FIELDS}
  negFreeLr: f32, pad1: f32, pad2: f32, pad3: f32,
}
@group(0) @binding(0) var<storage, read_write> m: array<f32>;
@group(0) @binding(1) var<storage, read_write> v: array<f32>;
// In: the projected gradient. Out: the Adam direction.
@group(0) @binding(2) var<storage, read_write> low: array<f32>;
@group(0) @binding(3) var<storage, read> guard: array<f32>;
@group(0) @binding(4) var<uniform> h: Hyper;
${GUARD}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (skipped()) { return; }
  let stride = groups.x * ${WORKGROUP}u;
  for (var i = id.x; i < h.n; i = i + stride) {
    let g = low[i];
    let m1 = m[i] * h.beta1 + g * h.oneMinusBeta1;
    let v1 = v[i] * h.beta2 + (g * g) * h.oneMinusBeta2;
    m[i] = m1;
    v[i] = v1;
    low[i] = ((m1 / h.biasCorrection1) / (sqrt(v1 / h.biasCorrection2) + h.epsilon)) * h.negLr;
  }
}
`

const COMBINE = /* wgsl */ `
struct Hyper {
  n: u32, guarded: u32, freeRule: u32, hasUpdate: u32,
  hasBack: u32, decay: f32, negFreeLr: f32, pad: f32,
}
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> update: array<f32>;
@group(0) @binding(3) var<storage, read> back: array<f32>;
@group(0) @binding(4) var<storage, read> guard: array<f32>;
@group(0) @binding(5) var<uniform> h: Hyper;
${GUARD}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  if (skipped()) { return; }
  let stride = groups.x * ${WORKGROUP}u;
  for (var i = id.x; i < h.n; i = i + stride) {
    var delta = 0.0;
    if (h.hasUpdate != 0u) { delta = update[i]; }
    if (h.freeRule != 0u) {
      var r = grad[i];
      if (h.hasBack != 0u) { r = r - back[i]; }
      delta = delta + freeDelta(r);
    }
    param[i] = param[i] * h.decay + delta;
  }
}
`

/** Adam's hyper-parameters for one dispatch; the bias corrections are 1 − βᵗ in float32. */
export interface AdamHyper {
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly biasCorrection1: number
  readonly biasCorrection2: number
  /** The Adam part's learning rate (lr, or lr · projLrScale). */
  readonly lr: number
}

/** The state-free part and the weight decay of one dispatch. */
export interface FreeHyper {
  readonly freeRule: keyof typeof FREE_RULE
  /** lr · projLrScale · stateFreeLrScale. */
  readonly freeLr: number
  /** 1 − lr · weightDecay. */
  readonly decay: number
}

/** What one optimizer step's dispatches share: the backend and the loss that guards them (null: unguarded). */
export interface FusedStep {
  readonly backend: WebgpuBackendLike
  readonly guard: tf.Tensor | null
}

/** An f32/u32 uniform block of `words` 4-byte fields. */
function uniforms(words: number): { f: Float32Array; u: Uint32Array } {
  const buffer = new ArrayBuffer(Math.ceil(words / 4) * 16)
  return { f: new Float32Array(buffer), u: new Uint32Array(buffer) }
}

function writeAdam(f: Float32Array, at: number, a: AdamHyper): void {
  f.set([a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.biasCorrection1, a.biasCorrection2, a.epsilon, -a.lr], at)
}

interface Binding {
  readonly buffer: GpuBufferLike
  /** Bytes bound (a tensor's size · 4). */
  readonly bytes: number
}
const bind = (backend: WebgpuBackendLike, t: tf.Tensor): Binding => ({ buffer: gpuBuffer(backend, t), bytes: t.size * 4 })

function dispatch(step: FusedStep, code: string, label: string, bindings: readonly Binding[], hyper: Float32Array, n: number): void {
  const { backend } = step
  const { pipeline, layout } = cachedPipeline(backend.device, code, label)
  const uniform = uniformBuffer(backend, hyper)
  const entries = bindings.map((b, binding) => ({ binding, resource: { buffer: b.buffer, offset: 0, size: b.bytes } }))
  entries.push({ binding: bindings.length, resource: { buffer: uniform, offset: 0, size: hyper.byteLength } })
  const group = backend.device.createBindGroup({ layout, entries })
  const pass = computePass(backend)
  pass.setPipeline(pipeline)
  pass.setBindGroup(0, group)
  pass.dispatchWorkgroups(Math.min(Math.ceil(n / WORKGROUP), backend.device.limits.maxComputeWorkgroupsPerDimension))
  countDispatch(backend)
}

/** The guard's binding: the loss's first element, or (unguarded) any read-only buffer of the dispatch. */
function guardBinding(step: FusedStep, fallback: Binding): Binding {
  return step.guard ? { buffer: gpuBuffer(step.backend, step.guard), bytes: 4 } : fallback
}

/**
 * Adam on the entries of `param` that have state, the state-free rule on the others, in place.
 * `mask` 'all': m and v are param-sized; 'columns': [rows, selected] for the sorted column
 * `indices`; 'entries': [selected] for the sorted flat `indices`.
 */
export function maskedAdam(
  step: FusedStep,
  t: { param: tf.Variable; m: tf.Variable; v: tf.Variable; grad: tf.Tensor; indices: tf.Tensor | null },
  mask: keyof typeof MASK,
  cols: number,
  adam: AdamHyper,
  free: FreeHyper,
): void {
  const { backend } = step
  for (const owned of [t.param, t.m, t.v]) ownBuffer(backend, owned)
  const grad = bind(backend, t.grad)
  const idx = t.indices ? bind(backend, t.indices) : grad // unread when every entry has state
  const { f, u } = uniforms(16)
  u.set([t.param.size, MASK[mask], cols, t.indices?.size ?? 0])
  writeAdam(f, 4, adam)
  f.set([free.decay, -free.freeLr], 12)
  u.set([FREE_RULE[free.freeRule], step.guard ? 1 : 0], 14)
  const bindings = [bind(backend, t.param), bind(backend, t.m), bind(backend, t.v), grad, idx, guardBinding(step, grad)]
  dispatch(step, MASKED_ADAM, 'converge frugal masked adam', bindings, f, t.param.size)
  recordUse(backend, [t.grad, ...(t.indices ? [t.indices] : []), ...(step.guard ? [step.guard] : [])], [t.param, t.m, t.v])
}

/**
 * The moment update of a projected gradient `low` (a tensor this step made, owned by the caller),
 * which is overwritten by the Adam direction. `grad` is only bound as the guard's stand-in.
 */
export function lowRankAdam(step: FusedStep, t: { m: tf.Variable; v: tf.Variable; low: tf.Tensor; grad: tf.Tensor }, adam: AdamHyper): void {
  const { backend } = step
  for (const owned of [t.m, t.v]) ownBuffer(backend, owned)
  if (backend.refCount(t.low.dataId) > 1) throw new Error('lowRankAdam: the projected gradient shares its buffer; pass a tensor of its own')
  const { f, u } = uniforms(16)
  u.set([t.low.size, step.guard ? 1 : 0, 0, 0])
  writeAdam(f, 4, adam)
  const bindings = [bind(backend, t.m), bind(backend, t.v), bind(backend, t.low), guardBinding(step, bind(backend, t.grad))]
  dispatch(step, LOW_RANK_ADAM, 'converge frugal low-rank adam', bindings, f, t.low.size)
  recordUse(backend, [t.grad, ...(step.guard ? [step.guard] : [])], [t.m, t.v, t.low])
}

/**
 * p ← p·decay + update + f(grad − back), in place; `update` null: no Adam part; `back` null: the
 * state-free rule sees the whole gradient.
 */
export function combine(step: FusedStep, t: { param: tf.Variable; grad: tf.Tensor; update: tf.Tensor | null; back: tf.Tensor | null }, free: FreeHyper): void {
  const { backend } = step
  ownBuffer(backend, t.param)
  const grad = bind(backend, t.grad)
  const { f, u } = uniforms(8)
  u.set([t.param.size, step.guard ? 1 : 0, FREE_RULE[free.freeRule], t.update ? 1 : 0, t.back ? 1 : 0])
  f.set([free.decay, -free.freeLr], 5)
  const bindings = [
    bind(backend, t.param),
    grad,
    t.update ? bind(backend, t.update) : grad,
    t.back ? bind(backend, t.back) : grad,
    guardBinding(step, grad),
  ]
  dispatch(step, COMBINE, 'converge frugal combine', bindings, f, t.param.size)
  const read = [t.grad, ...(t.update ? [t.update] : []), ...(t.back ? [t.back] : []), ...(step.guard ? [step.guard] : [])]
  recordUse(backend, read, [t.param])
}
