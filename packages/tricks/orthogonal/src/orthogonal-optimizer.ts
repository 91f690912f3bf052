import * as tf from '@tensorflow/tfjs'
import { isMatrixRoute, parseOptions, routeParameters, type ParamInfo, type ParamRoute } from '@converge/core'
import { MUON_QUINTIC, newtonSchulz, type Quintic } from './newton-schulz.js'
import { orthogonalOptimizerConfigSchema, type OrthogonalOptimizerConfig, type ResolvedOrthogonalOptimizerConfig } from './options.js'
import { clipAtPercentile } from './percentile-clip.js'
import { rootCoefficients } from './root-coefficients.js'
import { shapeScale } from './shape-scale.js'
import { BYTES_PER_ELEMENT, type OrthogonalStateReport, type ParamStateBytes } from './state-bytes.js'

/** A tensor with a name, as optimizers' getWeights/setWeights exchange them. */
interface NamedTensor {
  name: string
  tensor: tf.Tensor
}

/** Persistent state of one variable. */
interface Slot {
  readonly route: ParamRoute
  readonly variable: tf.Variable
  /** Orthogonalized matrices: the momentum buffer. */
  momentum: tf.Variable | null
  /** AdamW parameters (and matrices under rule 'adamw'): the moments. */
  m: tf.Variable | null
  v: tf.Variable | null
  /** Orthogonalized matrices: Newton–Schulz triple and shape factor, fixed by the shape. */
  readonly coefficients: Quintic
  readonly scale: number
}

const META = 'orthogonal' // prefix of the scalar counters in getWeights()

/**
 * Muon / ROOT as a tfjs optimizer. Hidden matrices (routed by the core's `routeParameters`; conv
 * kernels flattened to [kh·kw·in, out]) keep one momentum buffer each and step along the
 * orthogonalized Nesterov momentum:
 *
 *   m ← β·m + (1 − β)·g;  u = (1 − β)·g + β·m  (or u = m without Nesterov)
 *   u ← clamp(u, ±quantile_q(|u|))             (ROOT; off by default)
 *   O = NewtonSchulz(u)  ≈ U Vᵀ of u's SVD, float32, Frobenius-normalised, smaller side first
 *   p ← p·(1 − lr·wd) − lr·scale(shape)·O
 *
 * Everything else (embeddings, head, norm gains, biases) gets AdamW with its own rate. Rule
 * 'adamw' sends the matrices to AdamW as well (optionally on percentile-clipped gradients): the
 * baselines, with the same routing, code path and state report. The momentum form is Muon's lerp;
 * ROOT's sum form (buf ← β·buf + g) is the same vector times 1/(1 − β), which the Frobenius
 * normalisation and the scale-free clip remove.
 */
export class OrthogonalOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'OrthogonalOptimizer'
  }

  readonly config: ResolvedOrthogonalOptimizerConfig
  /** Rate of the hidden matrices; the AdamW rate keeps its ratio to it when the loop changes it. */
  learningRate: number
  adamLearningRate: number
  private readonly adamRatio: number
  private slots: Slot[] | null = null
  /** AdamW step counter for bias correction. */
  private adamT = 0
  private peakBytes = 0
  private finalReport: OrthogonalStateReport | null = null

  constructor(config: OrthogonalOptimizerConfig, variables?: readonly tf.Variable[]) {
    super()
    this.config = parseOptions(orthogonalOptimizerConfigSchema, config, 'OrthogonalOptimizer config')
    this.learningRate = this.config.learningRate
    this.adamLearningRate = this.config.adamLearningRate ?? this.config.learningRate
    this.adamRatio = this.adamLearningRate / this.learningRate
    if (variables) this.build(variables.map((v) => ({ name: v.name, shape: v.shape })))
  }

  /** The loop sets the (matrix) rate each step through this; the AdamW rate follows in proportion. */
  setLearningRate(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`OrthogonalOptimizer: learning rate must be a finite number >= 0, got ${lr}`)
    this.learningRate = lr
    this.adamLearningRate = lr * this.adamRatio
  }

  /** How each variable is routed (null until the variables are known). */
  get routes(): readonly ParamRoute[] | null {
    return this.slots?.map((s) => s.route) ?? null
  }

  /** The Newton–Schulz triple used for a variable (null for AdamW variables). */
  coefficientsOf(name: string): Quintic | null {
    const s = this.slots?.find((x) => x.route.name === name)
    return s && this.orthogonalized(s) ? s.coefficients : null
  }

  /**
   * Persistent state in bytes, from the shapes of what is allocated now, with the peak so far.
   * After `dispose()` it returns the last report taken before the tensors were freed.
   */
  optimizerStateBytes(): OrthogonalStateReport {
    if (this.finalReport) return this.finalReport
    const params = (this.slots ?? []).map((s): ParamStateBytes => {
      const size = (t: tf.Tensor | null) => (t ? t.size * BYTES_PER_ELEMENT : 0)
      const momentum = size(s.momentum)
      const moments = size(s.m) + size(s.v)
      return { name: s.route.name, role: s.route.role, momentum, moments, total: momentum + moments }
    })
    const momentum = params.reduce((a, p) => a + p.momentum, 0)
    const moments = params.reduce((a, p) => a + p.moments, 0)
    const total = momentum + moments
    return { momentum, moments, total, peak: Math.max(this.peakBytes, total), params }
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const grads: Record<string, tf.Tensor> = {}
    if (Array.isArray(variableGradients)) for (const { name, tensor } of variableGradients) grads[name] = tensor
    else Object.assign(grads, variableGradients)
    if (!this.slots) this.build(Object.keys(grads).map((name) => ({ name, shape: registered(name).shape })))
    const slots = this.slots as Slot[]
    const known = new Set(slots.map((s) => s.route.name))
    for (const name of Object.keys(grads)) {
      if (!known.has(name)) throw new Error(`OrthogonalOptimizer: got a gradient for "${name}", which is not among the variables it was built for (${[...known].join(', ')})`)
    }
    this.adamT++
    tf.tidy(() => {
      for (const slot of slots) {
        const grad = grads[slot.route.name]
        if (grad == null) continue
        if (this.orthogonalized(slot)) this.orthogonalStep(slot, grad)
        else this.adamwStep(slot, grad, slot.route.role === 'matrix' ? this.learningRate : this.adamLearningRate)
      }
    })
    this.peakBytes = Math.max(this.peakBytes, this.optimizerStateBytes().total)
    this.incrementIterations()
  }

  private orthogonalized(s: Slot): boolean {
    return s.route.role === 'matrix' && this.config.matrixRule === 'orthogonal'
  }

  /** One Muon/ROOT step of a hidden matrix (inside the caller's tidy). */
  private orthogonalStep(slot: Slot, grad: tf.Tensor): void {
    const c = this.config
    const route = slot.route as Extract<ParamRoute, { role: 'matrix' }>
    const beta = c.momentum
    if (!slot.momentum) slot.momentum = tf.variable(tf.zerosLike(grad), false)
    const m = tf.add(tf.mul(slot.momentum, beta), tf.mul(grad, 1 - beta))
    slot.momentum.assign(m)
    let u: tf.Tensor = c.nesterov ? tf.add(tf.mul(grad, 1 - beta), tf.mul(m, beta)) : m
    if (c.clipPercentile !== null) u = clipAtPercentile(u, c.clipPercentile)
    const o = newtonSchulz(tf.reshape(u, [route.rows, route.cols]) as tf.Tensor2D, slot.coefficients, c.nsSteps)
    const lr = this.learningRate
    const decayed = c.weightDecay > 0 ? tf.mul(slot.variable, 1 - lr * c.weightDecay) : slot.variable
    slot.variable.assign(tf.sub(decayed, tf.mul(tf.reshape(o, slot.variable.shape), lr * slot.scale)))
  }

  /** One AdamW step (tfjs Adam's arithmetic plus decoupled decay), inside the caller's tidy. */
  private adamwStep(slot: Slot, grad: tf.Tensor, lr: number): void {
    const c = this.config
    const g = slot.route.role === 'matrix' && c.clipPercentile !== null ? clipAtPercentile(grad, c.clipPercentile) : grad
    if (!slot.m || !slot.v) {
      slot.m = tf.variable(tf.zerosLike(grad), false)
      slot.v = tf.variable(tf.zerosLike(grad), false)
    }
    const m1 = tf.add(tf.mul(slot.m, c.beta1), tf.mul(g, 1 - c.beta1))
    const v1 = tf.add(tf.mul(slot.v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2))
    slot.m.assign(m1)
    slot.v.assign(v1)
    const mHat = tf.div(m1, 1 - c.beta1 ** this.adamT)
    const vHat = tf.div(v1, 1 - c.beta2 ** this.adamT)
    const wd = slot.route.role === 'matrix' ? c.weightDecay : (c.adamWeightDecay ?? c.weightDecay)
    const decayed = wd > 0 ? tf.mul(slot.variable, 1 - lr * wd) : slot.variable
    slot.variable.assign(tf.sub(decayed, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), c.epsilon)), lr)))
  }

  private build(params: readonly ParamInfo[]): void {
    const c = this.config
    const routes = routeParameters(params, { include: c.include, alwaysAdam: c.alwaysAdam, headByShape: c.headByShape, flattenKernels: c.flattenKernels })
    this.slots = routes.map((route) => {
      const matrix = isMatrixRoute(route)
      const coefficients = matrix && c.coefficients === 'root' ? rootCoefficients(route.rows, route.cols).coefficients : MUON_QUINTIC
      return {
        route,
        variable: registered(route.name),
        momentum: null,
        m: null,
        v: null,
        coefficients,
        scale: matrix ? shapeScale(route.rows, route.cols, c.scale) : 1,
      }
    })
  }

  override dispose(): void {
    if (this.slots && !this.finalReport) this.finalReport = this.optimizerStateBytes()
    for (const s of this.slots ?? []) {
      for (const t of [s.momentum, s.m, s.v]) t?.dispose()
      s.momentum = s.m = s.v = null
    }
    super.dispose()
  }

  /** Iterations, the AdamW step counter and every state tensor, named `<variable>/<momentum|m|v>`. */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [await this.saveIterations()]
    out.push({ name: `${META}/adamT`, tensor: tf.scalar(this.adamT, 'int32') }, { name: `${META}/peakBytes`, tensor: tf.scalar(this.peakBytes, 'int32') })
    for (const s of this.slots ?? []) {
      const n = s.route.name
      if (s.momentum) out.push({ name: `${n}/momentum`, tensor: s.momentum })
      if (s.m && s.v) out.push({ name: `${n}/m`, tensor: s.m }, { name: `${n}/v`, tensor: s.v })
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
    if (!this.slots) this.build([...byVariable.keys()].map((name) => ({ name, shape: registered(name).shape })))
    this.adamT = meta.get('adamT') ?? 0
    this.peakBytes = meta.get('peakBytes') ?? 0
    for (const s of this.slots as Slot[]) {
      const fields = byVariable.get(s.route.name) ?? new Map<string, tf.Tensor>()
      for (const t of [s.momentum, s.m, s.v]) t?.dispose()
      const copy = (t: tf.Tensor | undefined) => (t ? tf.variable(t, false) : null)
      s.momentum = copy(fields.get('momentum'))
      s.m = copy(fields.get('m'))
      s.v = copy(fields.get('v'))
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...this.config, learningRate: this.learningRate, adamLearningRate: this.adamLearningRate } as unknown as tf.serialization.ConfigDict
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new (cls as unknown as new (c: OrthogonalOptimizerConfig) => T)(config as unknown as OrthogonalOptimizerConfig)
  }
}

tf.serialization.registerClass(OrthogonalOptimizer)

function registered(name: string): tf.Variable {
  const v = tf.engine().registeredVariables[name]
  if (!v) throw new Error(`OrthogonalOptimizer: no variable named "${name}" is registered`)
  return v
}
