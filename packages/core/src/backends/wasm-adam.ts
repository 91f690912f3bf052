import * as tf from '@tensorflow/tfjs'
import { ensureMomentSlots, type AdamFields } from './adam-fields.js'
import { adamUpdate } from './wasm-adam-update.js'
import { heapOf, heapOffset, type WasmHeapBackend } from './wasm-heap.js'
import { wasmKernelFixesInstalled } from './wasm-tuning.js'

/**
 * tfjs's Adam, with the update done in one kernel call per variable over the WASM heap
 * (wasm-adam-update.ts, WebAssembly SIMD): the moments
 * are rewritten in place, the parameter gets a new buffer (tfjs's WASM matmul caches an operator
 * with the weights packed, keyed by the weight buffer, so a weight must never change in place).
 * tfjs's own Adam runs about 14 kernels per variable, each
 * with the engine's bookkeeping; on a small model with many variables that is a large share of a
 * step (the 51-variable shapes-diffusion SiT: ~700 of ~1900 kernels a step).
 *
 * The arithmetic is tfjs's AdamOptimizer.applyGradients, op for op, each a float32 operation, so
 * the numbers are tfjs's to the bit:
 *   m ← m·β₁ + g·(1−β₁);  v ← v·β₂ + g²·(1−β₂)
 *   p ← (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε) · (−lr) + p
 * β₁ᵗ and β₂ᵗ are the optimizer's accBeta1/accBeta2 variables, advanced by tfjs's own ops.
 *
 * Everything else is inherited (class name `Adam`, getWeights/setWeights, slot names), so
 * checkpoints move between this and tfjs's Adam. On another backend, or for a non-float32 variable
 * or gradient, a step is tfjs's own.
 */

/** The parts of tfjs's WASM backend the update reads. */
type WasmBackendLike = WasmHeapBackend & { refCount(dataId: object): number }

interface NamedTensor {
  name: string
  tensor: tf.Tensor
}
type Gradients = tf.NamedTensorMap | NamedTensor[]

const f32 = Math.fround

function activeWasmBackend(): WasmBackendLike | null {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackendLike) : null
}

export class WasmAdamOptimizer extends tf.AdamOptimizer {
  /** How many applyGradients calls ran the fused update, and how many fell back to tfjs's ops (for tests). */
  readonly fusedSteps = { fused: 0, fallback: 0 }

  /** tfjs's Optimizer answers `instanceof` for any object with an optimizer's methods; this class is checked by its prototype chain. */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, instance)
  }

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super(learningRate, beta1, beta2, epsilon as number)
  }

  override applyGradients(variableGradients: Gradients): void {
    const backend = activeWasmBackend()
    if (backend && this.canFuse(variableGradients)) {
      this.applyFused(backend, variableGradients)
      this.fusedSteps.fused++
      return
    }
    this.fusedSteps.fallback++
    super.applyGradients(variableGradients as Parameters<tf.AdamOptimizer['applyGradients']>[0])
  }

  /** Whether applyGradients(variableGradients) would run the fused update now (on wasm, float32 variables and gradients). */
  canFuse(variableGradients: Gradients): boolean {
    if (!activeWasmBackend()) return false
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients)
    return names.every((name, i) => {
      const value = tf.engine().registeredVariables[name]
      const grad = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name]
      return value !== undefined && value.dtype === 'float32' && (!grad || (grad.dtype === 'float32' && grad.size === value.size))
    })
  }

  private applyFused(backend: WasmBackendLike, variableGradients: Gradients): void {
    const self = this as unknown as AdamFields
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients)
    const gradients = names.map((name, i) => (Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name]))
    const values = names.map((name) => tf.engine().registeredVariables[name]!)
    // sub(1, accBeta) in float32, as tfjs computes the bias corrections
    const correction1 = f32(1 - self.accBeta1.dataSync()[0]!)
    const correction2 = f32(1 - self.accBeta2.dataSync()[0]!)

    ensureMomentSlots(self, names, values)

    // The moments are written in place, so each must own its buffer (a moment shares it with a
    // checkpoint's clone it was restored from): those get a private copy first.
    const updates: { p: tf.Variable; m: tf.Variable; v: tf.Variable; g: tf.Tensor }[] = []
    for (let i = 0; i < names.length; i++) {
      const g = gradients[i]
      if (!g || g.size === 0) continue
      const update = { p: values[i]!, m: self.accumulatedFirstMoment[i]!.variable, v: self.accumulatedSecondMoment[i]!.variable, g }
      for (const t of [update.m, update.v]) if (backend.refCount(t.dataId) > 1) ownCopy(t)
      updates.push(update)
    }

    const beta1 = f32(self.beta1)
    const beta2 = f32(self.beta2)
    const oneMinusBeta1 = f32(1 - self.beta1)
    const oneMinusBeta2 = f32(1 - self.beta2)
    const epsilon = f32(self.epsilon)
    const negLearningRate = f32(-self.learningRate)
    const at = (t: { dataId: object }) => heapOffset(backend, t)
    const update = adamUpdate(heapOf(backend))
    for (const u of updates) {
      const out = backend.makeOutput(u.p.shape, 'float32')
      update(at(u.p), at(u.m), at(u.v), at(u.g), at(out), u.p.size, beta1, beta2, oneMinusBeta1, oneMinusBeta2, correction1, correction2, epsilon, negLearningRate)
      const updated = tf.engine().makeTensorFromTensorInfo(out)
      u.p.assign(updated)
      updated.dispose()
    }

    tf.tidy(() => {
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1))
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2))
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

/** Adam for the active backend's tuned WASM: the fused update when the kernel fixes are installed, else null. */
export function wasmAdamIfTuned(learningRate: number, beta1?: number, beta2?: number, epsilon?: number): WasmAdamOptimizer | null {
  return tf.getBackend() === 'wasm' && wasmKernelFixesInstalled() ? new WasmAdamOptimizer(learningRate, beta1, beta2, epsilon ?? null) : null
}
