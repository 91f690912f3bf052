import type * as tf from '@tensorflow/tfjs'
import type { DataBackend, TensorInfo } from './cpu-fallback.js'

/**
 * An Identity kernel for WASM that shares its input's buffer (reference counted, as Reshape on
 * WASM and Identity on the CPU backend already do) instead of copying it. tfjs's engine clones
 * every tensor it saves for the backward pass through Identity, so on WASM a step copied each of
 * them: ~500 copies a step on the shapes-diffusion SiT. No WASM kernel writes into its inputs,
 * and WasmAdamOptimizer gives a shared moment its own buffer before its in-place update, so
 * sharing changes no value. String tensors (not kept in the WASM heap) go to `stock`.
 */
export function sharedIdentity(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args as unknown as { inputs: { x: TensorInfo }; backend: DataBackend & { incRef(dataId: object): void } }
    const { x } = inputs
    if (x.dtype === 'string') return stock(args)
    backend.incRef(x.dataId)
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype } as never
  }
}

/**
 * A Cast kernel for WASM that shares its input's buffer when the dtype does not change (as the
 * CPU backend's Cast does), instead of copying it: gradients cast their operands to float32
 * (`mul`'s, for one), ~120 copies a step on the shapes-diffusion SiT. Every real conversion goes
 * to `stock`.
 */
export function sharedCast(stock: tf.KernelFunc): tf.KernelFunc {
  const identity = sharedIdentity(stock)
  return (args) => {
    const { inputs, attrs } = args as unknown as { inputs: { x: TensorInfo }; attrs: { dtype: tf.DataType } }
    return inputs.x.dtype === attrs.dtype ? identity(args) : stock(args)
  }
}
