import type * as tf from '@tensorflow/tfjs'
import type { DataBackend, TensorInfo } from './cpu-fallback.js'

/** tfjs's WASM heap (a WebAssembly.Memory), which converge's kernel modules import. */
export type Heap = object

/** What converge's WASM kernels read of tfjs's WASM backend: its heap, where each tensor lies, new outputs. */
export type WasmHeapBackend = DataBackend & {
  wasm: { asm: { memory: Heap }; HEAP32: Int32Array }
  dataIdMap: { get(dataId: object): { memoryOffset: number } }
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo
  typedArrayFromHeap(t: TensorInfo): Float32Array
}

/** The byte offset of a tensor's buffer on the heap. */
export function heapOffset(backend: WasmHeapBackend, t: { dataId: object }): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset
}

/** The heap a backend's tensors live on. */
export function heapOf(backend: WasmHeapBackend): Heap {
  return backend.wasm.asm.memory
}

/** The parts of the WebAssembly JS API used here (the project's type libraries leave it out). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> }
}

/**
 * A kernel's export bound to one heap: the module is compiled once per process and instantiated
 * once per heap (a restarted wasm backend has a new one).
 */
export function kernelOnHeap<F>(build: () => Uint8Array, exportName: string): (heap: Heap) => F {
  let module: object | null = null
  const instances = new WeakMap<Heap, F>()
  return (heap) => {
    let fn = instances.get(heap)
    if (!fn) {
      const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly
      module ??= new Module(build())
      fn = new Instance(module, { env: { memory: heap } }).exports[exportName] as F
      instances.set(heap, fn)
    }
    return fn
  }
}
