import * as tf from '@tensorflow/tfjs'
import { ensureMomentSlots, type AdamFields } from './adam-fields.js'
import {
  activeWebgpuBackend,
  computePass,
  countDispatch,
  gpuBuffer,
  uniformBuffer,
  type GpuBindGroupLayoutLike,
  type GpuBufferLike,
  type GpuComputePipelineLike,
  type GpuDeviceLike,
  type WebgpuBackendLike,
} from './webgpu-device.js'
import type { LossGuardedOptimizer } from './loss-guard.js'

/**
 * tfjs's Adam, with the update done on WebGPU by one compute dispatch per variable that rewrites
 * the parameter and both moments in place. tfjs's own Adam records about 15 kernels per variable,
 * each JS-number constant a scalar upload; on small models that host-side work is most of a step.
 *
 * The arithmetic is tfjs's AdamOptimizer.applyGradients, op for op in float32, so the results are
 * the same numbers to float32 rounding:
 *   m ← m·β₁ + g·(1−β₁);  v ← v·β₂ + g²·(1−β₂)
 *   p ← (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε) · (−lr) + p
 * with β₁ᵗ, β₂ᵗ the optimizer's accBeta1/accBeta2 variables (β at the first step, multiplied by β
 * after every step, in float32). Those scalars stay on the CPU (they are tiny, and tfjs-webgpu keeps
 * small CPU tensors there), so the bias corrections are computed here and passed as uniforms.
 *
 * Everything else is inherited: the class name (`Adam`), getWeights/setWeights, the slot names, so
 * checkpoints move between this and tfjs's Adam. On any other backend, or for anything the kernel
 * does not cover (a non-float32 variable or gradient), a step is tfjs's own.
 */

const WORKGROUP = 256
/** Byte offset of `guard` in the uniform struct. */
const GUARD_OFFSET = 32

const SHADER = /* wgsl */ `
struct Hyper {
  beta1: f32, beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32,
  biasCorrection1: f32, biasCorrection2: f32, epsilon: f32, negLearningRate: f32,
  // The step's loss when the update is guarded (copied in on the GPU), else 0.
  guard: f32,
}
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<uniform> h: Hyper;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  // A non-finite loss (exponent bits all ones: Inf or NaN) leaves parameter and moments as they were.
  if ((bitcast<u32>(h.guard) & 0x7f800000u) == 0x7f800000u) {
    return;
  }
  let n = arrayLength(&param);
  let stride = groups.x * ${WORKGROUP}u;
  for (var i = id.x; i < n; i = i + stride) {
    let g = grad[i];
    let m1 = m[i] * h.beta1 + g * h.oneMinusBeta1;
    let v1 = v[i] * h.beta2 + (g * g) * h.oneMinusBeta2;
    m[i] = m1;
    v[i] = v1;
    let mHat = m1 / h.biasCorrection1;
    let vHat = v1 / h.biasCorrection2;
    param[i] = (mHat / (sqrt(vHat) + h.epsilon)) * h.negLearningRate + param[i];
  }
}
`

interface Pipeline {
  readonly pipeline: GpuComputePipelineLike
  readonly layout: GpuBindGroupLayoutLike
}
const pipelines = new WeakMap<GpuDeviceLike, Pipeline>()

function adamPipeline(device: GpuDeviceLike): Pipeline {
  let p = pipelines.get(device)
  if (!p) {
    const module = device.createShaderModule({ code: SHADER, label: 'converge fused adam' })
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: 'converge fused adam' })
    p = { pipeline, layout: pipeline.getBindGroupLayout(0) }
    pipelines.set(device, p)
  }
  return p
}

const f32 = Math.fround

/** tfjs's `{ name, tensor }` pair (not exported by @tensorflow/tfjs). */
interface NamedTensor {
  name: string
  tensor: tf.Tensor
}
type Gradients = tf.NamedTensorMap | NamedTensor[]

export class WebgpuAdamOptimizer extends tf.AdamOptimizer implements LossGuardedOptimizer {
  /** A loss tensor whose first element decides, on the GPU, whether the next step is applied at all. */
  private guard: tf.Tensor | null = null

  /** How many applyGradients calls ran the fused kernel, and how many fell back to tfjs's ops (for tests and benchmarks). */
  readonly fusedSteps = { fused: 0, fallback: 0 }

  /** tfjs's Optimizer answers `instanceof` for any object with an optimizer's methods; this class is checked by its prototype chain. */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, instance)
  }

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super(learningRate, beta1, beta2, epsilon as number)
  }

  override applyGradients(variableGradients: Gradients): void {
    const guard = this.guard
    this.guard = null
    const backend = activeWebgpuBackend()
    if (backend && this.canFuse(variableGradients)) {
      this.applyFused(backend, variableGradients, guard)
      this.fusedSteps.fused++
      return
    }
    if (guard) throw new Error('WebgpuAdamOptimizer: a step guarded by its loss cannot run fused here; check canFuse() before guardNextStep()')
    this.fusedSteps.fallback++
    super.applyGradients(variableGradients as Parameters<tf.AdamOptimizer['applyGradients']>[0])
  }

  /**
   * Makes the next applyGradients skip its update, on the GPU, when the first element of `loss` is
   * not finite: the loop can then read the loss later without the weights having taken a step on a
   * NaN. (The β powers and the iteration count, kept on the CPU, still advance: after a skipped step
   * the run is meant to stop.) The next step must be one `canFuse` accepts.
   */
  guardNextStep(loss: tf.Tensor): void {
    if (loss.dtype !== 'float32' || loss.size < 1) throw new TypeError(`guardNextStep: expected a float32 tensor holding the loss first, got ${loss.dtype} of size ${loss.size}`)
    this.guard = loss
  }

  /** The loop's check before guardNextStep (loop/deferred-loss.ts): every fused step honours the guard. */
  canGuardStep(variableGradients: Gradients): boolean {
    return this.canFuse(variableGradients)
  }

  /** Whether applyGradients(variableGradients) would run the fused kernel now (on webgpu, float32 variables and gradients, stored as float32). */
  canFuse(variableGradients: Gradients): boolean {
    const backend = activeWebgpuBackend()
    if (!backend) return false
    const self = this as unknown as AdamFields
    if (cpuScalar(backend, self.accBeta1) === null || cpuScalar(backend, self.accBeta2) === null) return false
    // tfjs-webgpu keeps an int32→float32 cast as the int32 buffer under the float32 tensor: the kernel would misread it.
    const storedAsFloat = (t: tf.Tensor) => t.dtype === 'float32' && backend.tensorMap.get(t.dataId)?.dtype === 'float32'
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients)
    return names.every((name, i) => {
      const value = tf.engine().registeredVariables[name]
      const grad = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name]
      return value !== undefined && storedAsFloat(value) && (!grad || (storedAsFloat(grad) && grad.size === value.size))
    })
  }

  /** One dispatch per variable with a gradient; `canFuse` has accepted the gradients. */
  private applyFused(backend: WebgpuBackendLike, variableGradients: Gradients, guard: tf.Tensor | null): void {
    const self = this as unknown as AdamFields
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients)
    const gradients = names.map((name, i) => (Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name]))
    const values = names.map((name) => tf.engine().registeredVariables[name]!)
    const acc1 = cpuScalar(backend, self.accBeta1)!
    const acc2 = cpuScalar(backend, self.accBeta2)!

    ensureMomentSlots(self, names, values)

    // Written in place, so each must own its buffer: a variable shares its buffer with the tensor it
    // was made from, a checkpoint's clone with the slot it copied. Those get a private copy first.
    const updates: { p: tf.Variable; m: tf.Variable; v: tf.Variable; g: tf.Tensor }[] = []
    for (let i = 0; i < names.length; i++) {
      const g = gradients[i]
      if (!g || g.size === 0) continue
      const update = { p: values[i]!, m: self.accumulatedFirstMoment[i]!.variable, v: self.accumulatedSecondMoment[i]!.variable, g }
      for (const t of [update.p, update.m, update.v]) if (backend.refCount(t.dataId) > 1) ownCopy(t)
      updates.push(update)
    }
    // After ownCopy no two of these share a buffer (tfjs gives every data id its own).
    const buffers = updates.map(({ p, m, v, g }) => ({ p: gpuBuffer(backend, p), m: gpuBuffer(backend, m), v: gpuBuffer(backend, v), g: gpuBuffer(backend, g) }))
    const guardBuffer = guard ? gpuBuffer(backend, guard) : null

    const hyperValues = Float32Array.of(
      self.beta1,
      self.beta2,
      1 - self.beta1,
      1 - self.beta2,
      f32(1 - acc1),
      f32(1 - acc2),
      self.epsilon,
      -self.learningRate,
      0, // guard, 0 = apply
      0,
      0,
      0, // padding: a uniform struct's size is a multiple of 16 bytes
    )
    let hyper: GpuBufferLike | null = null
    const { pipeline, layout } = adamPipeline(backend.device)
    const maxGroups = backend.device.limits.maxComputeWorkgroupsPerDimension
    updates.forEach((u, i) => {
      const b = buffers[i]!
      // tfjs returns uniform buffers to its pool at each submit, so a submit between two of our
      // dispatches means the next one needs a buffer of its own.
      if (!hyper) {
        hyper = uniformBuffer(backend, hyperValues)
        if (guardBuffer) {
          // Recorded after the commands that computed the loss, so the kernel sees this step's loss.
          backend.ensureCommandEncoderReady()
          backend.endComputePassEncoder()
          backend.commandEncoder!.copyBufferToBuffer(guardBuffer, 0, hyper, GUARD_OFFSET, 4)
          backend.commandQueueOwnedIds.add(guard!.dataId)
        }
      }
      const bytes = u.p.size * 4
      const entry = (binding: number, buffer: GpuBufferLike) => ({ binding, resource: { buffer, offset: 0, size: bytes } })
      const group = backend.device.createBindGroup({
        layout,
        entries: [entry(0, b.p), entry(1, b.m), entry(2, b.v), entry(3, b.g), { binding: 4, resource: { buffer: hyper } }],
      })
      for (const t of [u.p, u.m, u.v, u.g]) backend.commandQueueOwnedIds.add(t.dataId)
      const pass = computePass(backend)
      pass.setPipeline(pipeline)
      pass.setBindGroup(0, group)
      pass.dispatchWorkgroups(Math.min(Math.ceil(u.p.size / WORKGROUP), maxGroups))
      // The kernel changed these buffers behind tfjs: values it cached on the CPU after a read are stale.
      for (const t of [u.p, u.m, u.v]) backend.tensorMap.get(t.dataId)!.values = null
      countDispatch(backend)
      if (!backend.commandEncoder) hyper = null
    })

    // β powers as tfjs advances them (a float32 product), kept as CPU-side scalars.
    tf.tidy(() => {
      self.accBeta1.assign(tf.scalar(f32(acc1 * f32(self.beta1))))
      self.accBeta2.assign(tf.scalar(f32(acc2 * f32(self.beta2))))
    })
    self.incrementIterations()
  }
}

/** Gives a variable a buffer of its own holding the same values. */
function ownCopy(t: tf.Variable): void {
  const copy = tf.mul(t, 1)
  t.assign(copy)
  copy.dispose()
}

/** A scalar's value when tfjs-webgpu holds it on the CPU (no GPU read needed), else null. */
function cpuScalar(backend: WebgpuBackendLike, t: tf.Tensor): number | null {
  const values = backend.tensorMap.get(t.dataId)?.values
  return values && values.length === 1 ? (values[0] as number) : null
}
