import * as tf from '@tensorflow/tfjs'
import { BackendError } from '../errors.js'

/** What a kernel sees of a tensor: its data handle on one backend, shape and dtype. */
export interface TensorInfo {
  readonly dataId: object
  readonly shape: number[]
  readonly dtype: tf.DataType
}

/** The parts of a tfjs backend that moving data between two of them needs. */
export type DataBackend = tf.KernelBackend & {
  readSync(dataId: object): tf.backend_util.BackendValues
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object
  disposeData(dataId: object, force?: boolean): boolean
}

/**
 * A kernel function for another backend that runs the CPU backend's kernel `name`: it copies the
 * inputs into the CPU backend, runs the CPU kernel there and writes every output back through the
 * calling backend's `write`, so each output element is written by a full copy. Inputs may be named
 * (`{ x, dy }`) or a list (Einsum). Every CPU-side buffer is freed before returning.
 */
export function runOnCpu(name: string): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const target = backend as DataBackend
    const cpu = tf.engine().findBackend('cpu') as DataBackend | null
    const kernel = tf.getKernel(name, 'cpu')
    if (!cpu || !kernel) throw new BackendError(`the CPU fallback for kernel ${name} needs tfjs's cpu backend, which is not registered`)
    const made: object[] = []
    const toCpu = (t: TensorInfo): TensorInfo => {
      const dataId = cpu.write(target.readSync(t.dataId), t.shape, t.dtype)
      made.push(dataId)
      return { dataId, shape: t.shape, dtype: t.dtype }
    }
    const cpuInputs = Array.isArray(inputs)
      ? (inputs as TensorInfo[]).map(toCpu)
      : Object.fromEntries(Object.entries(inputs as Record<string, TensorInfo | undefined>).flatMap(([k, t]) => (t ? [[k, toCpu(t)]] : [])))
    try {
      const result = kernel.kernelFunc({ inputs: cpuInputs as never, attrs, backend: cpu }) as TensorInfo | TensorInfo[]
      const back = (o: TensorInfo): TensorInfo => {
        const dataId = target.write(cpu.readSync(o.dataId), o.shape, o.dtype)
        cpu.disposeData(o.dataId)
        return { dataId, shape: o.shape, dtype: o.dtype }
      }
      return (Array.isArray(result) ? result.map(back) : back(result)) as never
    } finally {
      for (const id of made) cpu.disposeData(id)
    }
  }
}
