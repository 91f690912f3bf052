import * as tf from '@tensorflow/tfjs'
import { createRng, parseOptions, type Rng } from '@converge/core'
import { activeWebgpuBackend, type LossGuardedOptimizer, type WebgpuBackendLike } from '@converge/core/backends'
import { randomSemiOrthogonal, topLeftSingularVectors, transpose } from './linalg.js'
import { frugalOptimizerConfigSchema, type FrugalOptimizerConfig, type ResolvedFrugalOptimizerConfig } from './options.js'
import { isProjected, planParameters, type ParamInfo, type ParamPlan, type Plan, type ProjectedPlan } from './param-plan.js'
import { BYTES_PER_ELEMENT, sumBytes, type ParamStateBytes, type StateBytes } from './state-bytes.js'
import { combine, lowRankAdam, maskedAdam, type AdamHyper, type FreeHyper, type FusedStep } from './webgpu-kernels.js'

/** A tensor with a name, as optimizers' getWeights/setWeights exchange them. */
interface NamedTensor {
  name: string
  tensor: tf.Tensor
}

/** Adam moments of one tensor (full-size, or in the projected coordinates). */
interface Moments {
  m: tf.Variable
  v: tf.Variable
}

/** Persistent state of one variable. */
interface Slot {
  readonly plan: ParamPlan
  readonly variable: tf.Variable
  moments: Moments | null
  /** svd/random: orthonormal columns, [cols, rank] (right) or [rows, rank] (left). */
  basis: tf.Variable | null
  /** columns/randk: sorted selected indices, int32 [k, 1] (the layout scatterND takes). */
  indices: tf.Variable | null
  /** blocks: whether this tensor currently has Adam state. */
  active: boolean
}

/** What the optimizer's state looks like now, and at its largest so far. */
export interface FrugalStateReport extends StateBytes {
  /** Largest total after any step so far (blocks: varies with the active tensors). */
  readonly peak: number
  readonly params: readonly ParamStateBytes[]
}

const META = 'frugal' // prefix of the scalar counters in getWeights()

/**
 * FRUGAL (Zmushko et al., ICML 2025) as a tfjs optimizer: each projectable weight's gradient is
 * split into a state-full part — its projection onto a low-dimensional subspace (top singular
 * vectors, a random basis, random columns or entries, or whole active tensors), updated by Adam —
 * and the state-free remainder, updated by signSGD (or SGD, or not at all). The subspace is
 * refreshed every `updateGap` steps from the current gradient, and the Adam moments are reset then.
 * Always-Adam parameters (embeddings, norms, output head, biases by default) get plain Adam.
 *
 * Variables are grouped once, in a fixed order (the `variables` given to the constructor, or the
 * order of the first gradients), and state is keyed by variable name.
 *
 * On the webgpu backend the element-wise work runs as fused WGSL kernels (webgpu-kernels.ts), the
 * same float32 arithmetic with one dispatch per variable where tfjs records a dozen or more:
 * always-Adam variables, active blocks and the selected columns/entries (with the state-free
 * update of the rest) update parameter and moments in place; svd/random projections keep tfjs's
 * matmuls and fuse the low-rank moment update and the final combination. A fused step can be
 * guarded by its loss (`guardNextStep`), which the loop uses to read the loss one step late.
 */
export class FrugalOptimizer extends tf.Optimizer implements LossGuardedOptimizer {
  static get className(): string {
    return 'FrugalOptimizer'
  }

  readonly config: ResolvedFrugalOptimizerConfig
  learningRate: number
  private slots: Slot[] | null = null
  private planned: Plan | null = null
  /** Steps taken by the projected group (refresh when it is a multiple of updateGap). */
  private projStep = 0
  /** Adam step counters for bias correction: projected group (restarts on reset) and always-Adam group. */
  private projT = 0
  private regularT = 0
  private refreshes = 0
  private peakBytes = 0
  private blockCursor: number | null = null
  /** The state report taken just before dispose() freed the tensors. */
  private finalReport: FrugalStateReport | null = null
  /** A loss tensor whose first element decides, on the GPU, whether the next step is applied at all. */
  private guard: tf.Tensor | null = null

  /** Whether to use the fused WGSL kernels on webgpu (default); false runs tfjs's ops there too, for comparison. */
  fusedKernels = true
  /** How many steps ran the fused kernels, and how many tfjs's ops (for tests and benchmarks). */
  readonly fusedSteps = { fused: 0, fallback: 0 }

  constructor(config: FrugalOptimizerConfig, variables?: readonly tf.Variable[]) {
    super()
    this.config = parseOptions(frugalOptimizerConfigSchema, config, 'FrugalOptimizer config')
    this.learningRate = this.config.learningRate
    if (variables) this.build(variables.map((v) => ({ name: v.name, shape: v.shape })))
  }

  /** The core loop sets the learning rate each step through this. */
  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`FrugalOptimizer: learning rate must be a finite number >= 0, got ${lr}`)
    this.learningRate = lr
  }

  /** Which variables are projected (and how) and which stay on Adam; null until the variables are known. */
  get plan(): Plan | null {
    return this.planned
  }

  /** Subspace refreshes so far. */
  get refreshCount(): number {
    return this.refreshes
  }

  /** Names of the tensors that currently hold Adam state in subspace 'blocks'. */
  activeBlocks(): string[] {
    return (this.slots ?? []).filter((s) => isProjected(s.plan) && s.plan.subspace === 'blocks' && s.active).map((s) => s.plan.name)
  }

  /** The orthonormal basis of an svd/random projector, as a fresh tensor (the caller disposes it). */
  basisOf(name: string): tf.Tensor2D | null {
    const slot = this.slots?.find((s) => s.plan.name === name)
    return slot?.basis ? (slot.basis.clone() as tf.Tensor2D) : null
  }

  /** The selected column/entry indices of a columns/randk projector. */
  indicesOf(name: string): Int32Array | null {
    const slot = this.slots?.find((s) => s.plan.name === name)
    return slot?.indices ? Int32Array.from(slot.indices.dataSync()) : null
  }

  /**
   * Persistent optimizer state in bytes, counted per tensor from the shapes of what is allocated
   * now (moments, projector bases, int32 indices), with the peak over all steps so far. After
   * `dispose()` it returns the last report taken before the tensors were freed.
   */
  optimizerStateBytes(): FrugalStateReport {
    if (this.finalReport) return this.finalReport
    const params = (this.slots ?? []).map((s) => this.slotBytes(s))
    const now = sumBytes(params)
    return { ...now, peak: Math.max(this.peakBytes, now.total), params }
  }

  /** Bytes of the tensors a slot holds now, from their shapes (4 bytes per float32 or int32 element). */
  private slotBytes(s: Slot): ParamStateBytes {
    const size = (t: tf.Tensor | null | undefined) => (t ? t.size * BYTES_PER_ELEMENT : 0)
    const moments = s.moments ? size(s.moments.m) + size(s.moments.v) : 0
    const projectors = size(s.basis)
    const indices = size(s.indices)
    return { name: s.plan.name, role: s.plan.role, moments, projectors, indices, total: moments + projectors + indices }
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const grads = toMap(variableGradients)
    if (!this.slots) {
      this.build(
        Object.keys(grads).map((name) => {
          const v = tf.engine().registeredVariables[name]
          if (!v) throw new Error(`FrugalOptimizer: no variable named "${name}" is registered`)
          return { name, shape: v.shape }
        }),
      )
    }
    const slots = this.slots as Slot[]
    const known = new Set(slots.map((s) => s.plan.name))
    for (const name of Object.keys(grads)) {
      if (!known.has(name)) {
        throw new Error(`FrugalOptimizer: got a gradient for "${name}", which is not among the variables it was built for (${[...known].join(', ')})`)
      }
    }

    const guard = this.guard
    this.guard = null
    const backend = this.fusedBackend(grads)
    if (guard && (!backend || this.refreshDue())) {
      throw new Error('FrugalOptimizer: a step guarded by its loss must run the fused kernels and not refresh the subspace; check canGuardStep() before guardNextStep()')
    }

    const hasProjected = slots.some((s) => s.plan.role === 'projected')
    if (this.refreshDue()) this.refresh(grads)
    if (hasProjected) {
      this.projStep++
      this.projT++
    }
    this.regularT++

    if (backend) {
      this.applyFused({ backend, guard }, slots, grads)
      this.fusedSteps.fused++
    } else {
      this.applyOps(slots, grads)
      this.fusedSteps.fallback++
    }
    this.peakBytes = Math.max(this.peakBytes, sumBytes(slots.map((s) => this.slotBytes(s))).total)
    this.incrementIterations()
  }

  /**
   * Makes the next applyGradients skip its update, on the GPU, when the first element of `loss` is
   * not finite: parameters and moments keep their values. (The step counters, kept on the CPU,
   * still advance: after a skipped step the run is meant to stop.) The next step must be one
   * `canGuardStep` accepts.
   */
  guardNextStep(loss: tf.Tensor): void {
    if (loss.dtype !== 'float32' || loss.size < 1) throw new TypeError(`guardNextStep: expected a float32 tensor holding the loss first, got ${loss.dtype} of size ${loss.size}`)
    this.guard = loss
  }

  /**
   * Whether applyGradients(grads) would honour a guard: it runs the fused kernels and does not
   * refresh the subspace (a refresh changes the state on the CPU, which a guard could not undo).
   */
  canGuardStep(grads: tf.NamedTensorMap | NamedTensor[]): boolean {
    return this.slots !== null && this.fusedBackend(toMap(grads)) !== null && !this.refreshDue()
  }

  /** Whether this step starts with a subspace refresh. */
  private refreshDue(): boolean {
    const projected = (this.slots ?? []).some((s) => s.plan.role === 'projected')
    return projected && this.projStep % this.config.updateGap === 0
  }

  /**
   * The webgpu backend when the fused kernels can take this step, else null: float32 variables and
   * gradients, stored as float32 (tfjs-webgpu keeps an int32→float32 cast as the int32 buffer).
   */
  private fusedBackend(grads: Record<string, tf.Tensor>): WebgpuBackendLike | null {
    if (!this.fusedKernels) return null
    const backend = activeWebgpuBackend()
    if (!backend) return null
    const storedAsFloat = (t: tf.Tensor) => t.dtype === 'float32' && backend.tensorMap.get(t.dataId)?.dtype === 'float32'
    for (const [name, grad] of Object.entries(grads)) {
      const value = tf.engine().registeredVariables[name]
      if (!value || !storedAsFloat(value) || !storedAsFloat(grad) || grad.size !== value.size) return null
    }
    return backend
  }

  /** The step as fused kernels: one or two dispatches per variable, plus tfjs's matmuls for svd/random. */
  private applyFused(step: FusedStep, slots: readonly Slot[], grads: Record<string, tf.Tensor>): void {
    const c = this.config
    const lr = this.learningRate
    const projLr = lr * c.projLrScale
    const free: FreeHyper = { freeRule: c.stateFree, freeLr: projLr * c.stateFreeLrScale, decay: 1 - lr * c.weightDecay }
    const noFree: FreeHyper = { ...free, freeRule: 'none' }
    const adam = (stepLr: number, t: number): AdamHyper => ({
      beta1: c.beta1,
      beta2: c.beta2,
      epsilon: c.epsilon,
      biasCorrection1: biasCorrection(c.beta1, t),
      biasCorrection2: biasCorrection(c.beta2, t),
      lr: stepLr,
    })
    const freeOnly = (slot: Slot, grad: tf.Tensor) => {
      // Nothing to do without a state-free rule or weight decay (the tfjs path leaves such a tensor alone too).
      if (c.stateFree !== 'none' || c.weightDecay > 0) combine(step, { param: slot.variable, grad, update: null, back: null }, free)
    }
    tf.tidy(() => {
      for (const slot of slots) {
        const grad = grads[slot.plan.name]
        if (grad == null) continue
        const param = slot.variable
        const p = slot.plan
        if (p.role === 'adam') {
          const { m, v } = (slot.moments ??= zeroMoments(param.shape))
          maskedAdam(step, { param, m, v, grad, indices: null }, 'all', 0, adam(lr, this.regularT), noFree)
          continue
        }
        const wantFree = c.stateFree !== 'none'
        switch (p.subspace) {
          case 'blocks': {
            if (!slot.active) {
              freeOnly(slot, grad)
              break
            }
            const { m, v } = (slot.moments ??= zeroMoments([p.rows, p.cols])) // the shape tfjs's path gives them
            maskedAdam(step, { param, m, v, grad, indices: null }, 'all', 0, adam(projLr, this.projT), noFree)
            break
          }
          case 'columns':
          case 'randk': {
            if (p.selected === 0 || !slot.indices) {
              freeOnly(slot, grad)
              break
            }
            const columns = p.subspace === 'columns'
            const { m, v } = (slot.moments ??= zeroMoments(columns ? [p.rows, p.selected] : [p.selected]))
            const all = p.selected === (columns ? p.cols : p.rows * p.cols)
            const rest = wantFree && !all ? free : noFree
            maskedAdam(step, { param, m, v, grad, indices: slot.indices }, columns ? 'columns' : 'entries', p.cols, adam(projLr, this.projT), rest)
            break
          }
          case 'svd':
          case 'random': {
            if (p.rank === 0 || !slot.basis) {
              freeOnly(slot, grad)
              break
            }
            const q = slot.basis as tf.Variable<tf.Rank.R2>
            const right = p.side === 'right'
            const g = tf.reshape(grad, [p.rows, p.cols]) as tf.Tensor2D
            let low = right ? tf.matMul(g, q) : tf.matMul(q, g, true, false)
            if (step.backend.refCount(low.dataId) > 1) low = tf.mul(low, 1) // the kernel writes it in place
            const full = p.rank === (right ? p.cols : p.rows)
            // The projected gradient's back-projection, recorded before the kernel turns `low` into the Adam direction.
            const back = wantFree && !full ? (right ? tf.matMul(low, q, false, true) : tf.matMul(q, low)) : null
            const { m, v } = (slot.moments ??= zeroMoments(low.shape))
            lowRankAdam(step, { m, v, low, grad }, adam(projLr, this.projT))
            const update = right ? tf.matMul(low, q, false, true) : tf.matMul(q, low)
            combine(step, { param, grad, update, back }, back ? free : noFree)
            break
          }
        }
      }
    })
  }

  /** The step as tfjs ops (every backend but webgpu). */
  private applyOps(slots: readonly Slot[], grads: Record<string, tf.Tensor>): void {
    const c = this.config
    const lr = this.learningRate
    tf.tidy(() => {
      for (const slot of slots) {
        const grad = grads[slot.plan.name]
        if (grad == null) continue
        const value = slot.variable
        let next: tf.Tensor = c.weightDecay > 0 ? tf.mul(value, 1 - lr * c.weightDecay) : value
        if (slot.plan.role === 'adam') {
          next = tf.add(next, this.adamStep(slot, grad, lr, this.regularT))
        } else {
          const g = slot.plan.shape.length === 2 ? grad : tf.reshape(grad, [slot.plan.rows, slot.plan.cols])
          const { update, free } = this.projectedStep(slot, slot.plan, g as tf.Tensor2D, lr * c.projLrScale)
          let delta = update
          const freeLr = lr * c.projLrScale * c.stateFreeLrScale
          if (free && c.stateFree === 'signsgd') delta = addOrInit(delta, tf.mul(tf.sign(free), -freeLr))
          else if (free && c.stateFree === 'sgd') delta = addOrInit(delta, tf.mul(free, -freeLr))
          if (delta) next = tf.add(next, delta.shape.length === value.shape.length ? delta : tf.reshape(delta, value.shape))
        }
        if (next !== value) value.assign(next)
      }
    })
  }

  /**
   * Adam on `g` with the slot's moments: updates them and returns −lr · m̂ / (√v̂ + ε), the same
   * arithmetic as tfjs's Adam (so density 1 reproduces it).
   */
  private adamStep(slot: Slot, g: tf.Tensor, lr: number, t: number): tf.Tensor {
    const { beta1, beta2, epsilon } = this.config
    if (!slot.moments) slot.moments = zeroMoments(g.shape)
    const { m, v } = slot.moments
    const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1))
    const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2))
    m.assign(m1)
    v.assign(v1)
    const mHat = tf.div(m1, biasCorrection(beta1, t))
    const vHat = tf.div(v1, biasCorrection(beta2, t))
    return tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), -lr)
  }

  /** The Adam update of the state-full part (in full coordinates) and the state-free remainder of g. */
  private projectedStep(slot: Slot, p: ProjectedPlan, g: tf.Tensor2D, lr: number): { update: tf.Tensor | null; free: tf.Tensor | null } {
    const wantFree = this.config.stateFree !== 'none'
    switch (p.subspace) {
      case 'svd':
      case 'random': {
        if (p.rank === 0 || !slot.basis) return { update: null, free: g }
        const q = slot.basis as tf.Variable<tf.Rank.R2>
        const right = p.side === 'right'
        const down = right ? tf.matMul(g, q) : tf.matMul(q, g, true, false)
        const step = this.adamStep(slot, down, lr, this.projT)
        const update = right ? tf.matMul(step, q, false, true) : tf.matMul(q, step)
        // A full-rank basis spans everything: the remainder is rounding noise, which sign() would blow up.
        const full = p.rank === (right ? p.cols : p.rows)
        if (!wantFree || full) return { update, free: null }
        const back = right ? tf.matMul(down, q, false, true) : tf.matMul(q, down)
        return { update, free: tf.sub(g, back) }
      }
      case 'columns': {
        if (p.selected === 0 || !slot.indices) return { update: null, free: g }
        const idx = slot.indices as tf.Variable<tf.Rank.R2>
        const down = tf.gather(g, tf.reshape(idx, [p.selected]), 1)
        const step = this.adamStep(slot, down, lr, this.projT)
        const update = tf.transpose(tf.scatterND(idx, tf.transpose(step), [p.cols, p.rows]))
        if (!wantFree || p.selected === p.cols) return { update, free: null }
        const mask = tf.scatterND(idx, tf.ones([p.selected]), [p.cols])
        return { update, free: tf.mul(g, tf.sub(1, mask)) }
      }
      case 'randk': {
        if (p.selected === 0 || !slot.indices) return { update: null, free: g }
        const idx = slot.indices as tf.Variable<tf.Rank.R2>
        const size = p.rows * p.cols
        const flat = tf.reshape(g, [size])
        const down = tf.gather(flat, tf.reshape(idx, [p.selected]))
        const step = this.adamStep(slot, down, lr, this.projT)
        const update = tf.reshape(tf.scatterND(idx, step, [size]), [p.rows, p.cols])
        if (!wantFree || p.selected === size) return { update, free: null }
        const mask = tf.reshape(tf.scatterND(idx, tf.ones([p.selected]), [size]), [p.rows, p.cols])
        return { update, free: tf.mul(g, tf.sub(1, mask)) }
      }
      case 'blocks':
        if (slot.active) return { update: this.adamStep(slot, g, lr, this.projT), free: null }
        return { update: null, free: g }
    }
  }

  /** Chooses new subspaces from the current gradients; resets (or, for baselines, keeps) the moments. */
  private refresh(grads: Record<string, tf.Tensor>): void {
    const c = this.config
    const slots = this.slots as Slot[]
    const round = this.refreshes
    if (c.resetOnRefresh) this.projT = 0
    const projected = slots.filter((s) => s.plan.role === 'projected')
    if (c.subspace === 'blocks') {
      const active = this.chooseBlocks(projected.length, createRng(`frugal:${c.seed}:${round}:blocks`))
      projected.forEach((s, i) => {
        disposeMoments(s)
        s.active = active.has(i)
      })
    } else {
      projected.forEach((s, i) => {
        const p = s.plan as ProjectedPlan
        const rng = createRng(`frugal:${c.seed}:${round}:${i}`)
        if (p.subspace === 'svd' || p.subspace === 'random') {
          if (p.rank === 0) return
          const dim = p.side === 'right' ? p.cols : p.rows
          let basis: Float64Array
          if (p.subspace === 'random') {
            basis = randomSemiOrthogonal(dim, p.rank, rng)
          } else {
            const grad = grads[p.name]
            if (!grad) throw new Error(`FrugalOptimizer: the refresh needs a gradient for "${p.name}"`)
            const g = Float64Array.from(grad.dataSync())
            // Right side: the top right singular vectors of G are the top left ones of Gᵀ.
            const a = p.side === 'right' ? transpose(g, p.rows, p.cols) : g
            basis = topLeftSingularVectors(a, dim, p.side === 'right' ? p.rows : p.cols, p.rank, {
              oversample: c.svdOversample,
              powerIterations: c.svdPowerIterations,
              rng,
            })
          }
          replace(s, 'basis', tf.tensor2d(Float32Array.from(basis), [dim, p.rank]))
        } else {
          if (p.selected === 0) return
          const total = p.subspace === 'columns' ? p.cols : p.rows * p.cols
          const chosen = rng.shuffle(Array.from({ length: total }, (_, k) => k)).slice(0, p.selected).sort((a, b) => a - b)
          replace(s, 'indices', tf.tensor2d(Int32Array.from(chosen), [p.selected, 1], 'int32'))
        }
        if (c.resetOnRefresh) disposeMoments(s) // fresh zeros at the next Adam step
      })
    }
    this.refreshes++
  }

  /** Indices (into the projected tensors) of the tensors active until the next refresh. */
  private chooseBlocks(n: number, rng: Rng): Set<number> {
    const k = (this.planned as Plan).activeBlocks
    const order = this.config.blockOrder
    if (order === 'random') return new Set(rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, k))
    // Cyclic orders, as the reference code walks them: descending starts at the last tensor.
    const start = this.blockCursor ?? (order === 'descending' ? n - 1 : 0)
    const dir = order === 'descending' ? -1 : 1
    const picked = new Set<number>()
    for (let j = 0; j < k; j++) picked.add((((start + dir * j) % n) + n) % n)
    this.blockCursor = (((start + dir * k) % n) + n) % n
    return picked
  }

  private build(params: readonly ParamInfo[]): void {
    this.planned = planParameters(params, this.config)
    this.slots = this.planned.params.map((plan) => {
      const variable = tf.engine().registeredVariables[plan.name]
      if (!variable) throw new Error(`FrugalOptimizer: no variable named "${plan.name}" is registered`)
      return { plan, variable, moments: null, basis: null, indices: null, active: plan.role === 'adam' }
    })
  }

  override dispose(): void {
    if (this.slots && !this.finalReport) this.finalReport = this.optimizerStateBytes()
    for (const s of this.slots ?? []) {
      disposeMoments(s)
      s.basis?.dispose()
      s.indices?.dispose()
      s.basis = null
      s.indices = null
    }
    super.dispose()
  }

  /**
   * Iterations, the step counters and every state tensor, named `<variable>/<m|v|basis|indices|active>`
   * in the fixed variable order; `setWeights` restores them.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()]
    const counters: Record<string, number> = {
      projStep: this.projStep,
      projT: this.projT,
      regularT: this.regularT,
      refreshes: this.refreshes,
      peakBytes: this.peakBytes,
      blockCursor: this.blockCursor ?? -1,
    }
    for (const [k, v] of Object.entries(counters)) out.push({ name: `${META}/${k}`, tensor: tf.scalar(v, 'int32') })
    for (const s of this.slots ?? []) {
      const n = s.plan.name
      if (s.moments) out.push({ name: `${n}/m`, tensor: s.moments.m }, { name: `${n}/v`, tensor: s.moments.v })
      if (s.basis) out.push({ name: `${n}/basis`, tensor: s.basis })
      if (s.indices) out.push({ name: `${n}/indices`, tensor: s.indices })
      if (s.plan.role === 'projected' && s.plan.subspace === 'blocks') out.push({ name: `${n}/active`, tensor: tf.scalar(s.active ? 1 : 0, 'int32') })
    }
    return out
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues)
    const meta = new Map<string, number>()
    const byVariable = new Map<string, Map<string, tf.Tensor>>()
    for (const { name, tensor } of rest) {
      const cut = name.lastIndexOf('/')
      const owner = name.slice(0, cut)
      const field = name.slice(cut + 1)
      if (owner === META) meta.set(field, (await tensor.data())[0] as number)
      else {
        if (!byVariable.has(owner)) byVariable.set(owner, new Map())
        byVariable.get(owner)!.set(field, tensor)
      }
    }
    if (!this.slots) {
      this.build(
        [...byVariable.keys()].map((name) => {
          const v = tf.engine().registeredVariables[name]
          if (!v) throw new Error(`FrugalOptimizer.setWeights: no variable named "${name}" is registered`)
          return { name, shape: v.shape }
        }),
      )
    }
    this.projStep = meta.get('projStep') ?? 0
    this.projT = meta.get('projT') ?? 0
    this.regularT = meta.get('regularT') ?? 0
    this.refreshes = meta.get('refreshes') ?? 0
    this.peakBytes = meta.get('peakBytes') ?? 0
    const cursor = meta.get('blockCursor') ?? -1
    this.blockCursor = cursor < 0 ? null : cursor
    for (const s of this.slots as Slot[]) {
      const fields = byVariable.get(s.plan.name) ?? new Map<string, tf.Tensor>()
      disposeMoments(s)
      const m = fields.get('m')
      const v = fields.get('v')
      if (m && v) s.moments = { m: tf.variable(m, false), v: tf.variable(v, false) }
      const basis = fields.get('basis')
      replace(s, 'basis', basis ? basis.clone() : null)
      const indices = fields.get('indices')
      replace(s, 'indices', indices ? indices.clone() : null)
      const active = fields.get('active')
      if (active) s.active = ((await active.data())[0] as number) === 1
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.config, learningRate: this.learningRate } as unknown as tf.serialization.ConfigDict
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as new (c: FrugalOptimizerConfig) => T)(config as unknown as FrugalOptimizerConfig)
  }
}

tf.serialization.registerClass(FrugalOptimizer)

/**
 * 1 − βᵗ as tfjs's Adam computes it: the power accumulated by float32 multiplications, then
 * subtracted in float32. Matching it keeps density-1 runs equal to tfjs's Adam to rounding.
 */
function biasCorrection(beta: number, t: number): number {
  let powers = betaPowers.get(beta)
  if (!powers) betaPowers.set(beta, (powers = [Math.fround(beta)]))
  const b = Math.fround(beta)
  while (powers.length < t) powers.push(Math.fround(powers[powers.length - 1]! * b))
  return Math.fround(1 - powers[t - 1]!)
}

/** βᵗ in float32 for t = 1, 2, …, grown on demand (shared: it depends only on β). */
const betaPowers = new Map<number, number[]>()

function zeroMoments(shape: readonly number[]): Moments {
  return tf.tidy(() => ({ m: tf.variable(tf.zeros(shape as number[]), false), v: tf.variable(tf.zeros(shape as number[]), false) }))
}

function disposeMoments(s: Slot): void {
  if (!s.moments) return
  s.moments.m.dispose()
  s.moments.v.dispose()
  s.moments = null
}

/** Swaps a slot's basis or indices for `value` (a tensor it takes ownership of), freeing the old one. */
function replace(s: Slot, field: 'basis' | 'indices', value: tf.Tensor | null): void {
  s[field]?.dispose()
  if (!value) {
    s[field] = null
    return
  }
  s[field] = tf.variable(value, false)
  value.dispose()
}

/** Gradients by variable name. */
function toMap(variableGradients: tf.NamedTensorMap | NamedTensor[]): Record<string, tf.Tensor> {
  const grads: Record<string, tf.Tensor> = {}
  if (Array.isArray(variableGradients)) for (const { name, tensor } of variableGradients) grads[name] = tensor
  else Object.assign(grads, variableGradients)
  return grads
}

function addOrInit(a: tf.Tensor | null, b: tf.Tensor): tf.Tensor {
  return a ? tf.add(a, b) : b
}
