import type * as tf from '@tensorflow/tfjs'
import type { Capabilities, Capability } from '../capabilities/index.js'
import type { PhaseSpec, SetupContext, StepContext } from '../context.js'
import { ContractError } from '../errors.js'
import type { PhaseRecord } from '../result.js'
import type { Rng } from '../rng.js'
import type { Metrics } from '../task.js'
import type { Trick } from '../trick.js'
import type { Run } from './run.js'

/**
 * The context one trick's hooks receive (or, with no owner, the one observers like `onStep`
 * receive). A view of the run: reads are live, and what a trick may do is checked against who it
 * is — capabilities it listed, its own random stream and variable names, setup-only actions.
 */
export class TrickContext implements SetupContext, StepContext {
  constructor(
    private readonly run: Run,
    private readonly owner: Trick | null,
  ) {}

  get seed() { return this.run.o.seed }
  get step() { return this.run.step }
  get maxSteps() { return this.run.o.maxSteps }
  get phase() { return this.run.phase }
  get backend() { return this.run.backend }
  get log() { return this.run.log }
  get task() { return this.run.o.task }
  get target() { return this.run.target }
  get baseOptimizer() { return this.run.baseOptimizer }
  get variables() { return this.run.instance.variables }
  get batch() { return this.run.batch }
  get update() { return this.run.update }
  get syncReads() { return this.run.syncReads }

  capability<K extends Capability>(name: K): Capabilities[K] {
    if (this.owner && !(this.owner.requires ?? []).includes(name)) {
      throw new ContractError(`trick "${this.owner.name}" reads capability "${name}" without listing it in requires; add requires: ['${name}']`)
    }
    const api = this.run.capabilities[name]
    if (!api) throw new ContractError(`task "${this.run.o.task.name}" does not provide capability "${name}"`)
    return api as Capabilities[K]
  }

  rng(purpose?: string): Rng {
    const p = purpose ?? this.owner?.name
    if (!p) throw new ContractError('rng() needs a purpose outside a trick, e.g. ctx.rng("my-observer")')
    return this.run.streams.stream(`user:${p}`)
  }

  variableName(local: string): string {
    return `run${this.run.id}/${this.owner ? `trick/${this.owner.name}` : 'user'}/${local}`
  }

  async evaluateModel(): Promise<Metrics> {
    const metrics = await this.run.instance.evaluate(this.run.observer)
    if (!metrics || typeof metrics !== 'object') throw new ContractError(`task "${this.run.o.task.name}"'s evaluate() returned no metrics object`)
    return metrics
  }

  stop(reason: string): void {
    this.run.stop(reason)
  }

  addTrainableVariables(variables: readonly tf.Variable[]): void {
    this.requireSetup('addTrainableVariables')
    this.run.addTrainableVariables(variables, this.owner as Trick)
  }

  runPhase(phase: PhaseSpec): Promise<PhaseRecord> {
    this.requireSetup(`runPhase("${phase?.name}")`)
    return this.run.runPhase(phase, this.owner as Trick)
  }

  private requireSetup(what: string): void {
    if (!this.owner || this.run.setupOwner !== this.owner) {
      throw new ContractError(`${what} may only be called from a trick's own setup hook${this.owner ? ` (trick "${this.owner.name}")` : ''}`)
    }
  }
}
