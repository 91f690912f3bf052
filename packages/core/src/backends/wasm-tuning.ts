import * as tf from '@tensorflow/tfjs'

/**
 * Kernel fixes for tfjs 4.22's WASM backend in Node (measurements in docs/performance.md):
 * - BatchMatMul with a transpose flag runs 10-28x slower than an explicit transpose followed by a
 *   plain matmul, and every matmul gradient sets one;
 * - kernels WASM lacks (gather's gradient needs UnsortedSegmentSum; conv filter gradients) or gets
 *   wrong (MaxPoolGrad on all-negative windows) run on the CPU backend instead.
 * Installed once, idempotent; `uninstallWasmKernelFixes` restores stock tfjs for comparison.
 */

type KernelConfig = tf.KernelConfig
type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType }
type KernelBackend = tf.KernelBackend & {
  readSync(dataId: object): tf.backend_util.BackendValues
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object
  disposeData(dataId: object, force?: boolean): boolean
}

/** Kernels that run on the CPU backend when asked for on WASM. */
export const CPU_FALLBACK_KERNELS = [
  'UnsortedSegmentSum',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
  'Einsum',
] as const

const originals = new Map<string, KernelConfig | undefined>()
let installed = false

function replaceWasmKernel(name: string, kernelFunc: tf.KernelFunc): void {
  if (!originals.has(name)) originals.set(name, tf.getKernel(name, 'wasm'))
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm')
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc })
}

function transposedMatMul(stock: KernelConfig, transpose: KernelConfig): tf.KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args as unknown as {
      inputs: { a: TensorInfo; b: TensorInfo }
      attrs: { transposeA: boolean; transposeB: boolean } & Record<string, unknown>
      backend: KernelBackend
    }
    if (!attrs.transposeA && !attrs.transposeB) return stock.kernelFunc(args)
    const swapLastTwo = (x: TensorInfo): TensorInfo => {
      const rank = x.shape.length
      const perm = [...Array(rank).keys()]
      perm[rank - 2] = rank - 1
      perm[rank - 1] = rank - 2
      return transpose.kernelFunc({ inputs: { x } as never, attrs: { perm } as never, backend }) as TensorInfo
    }
    const a = attrs.transposeA ? swapLastTwo(inputs.a) : inputs.a
    const b = attrs.transposeB ? swapLastTwo(inputs.b) : inputs.b
    const out = stock.kernelFunc({
      inputs: { a, b } as never,
      attrs: { ...attrs, transposeA: false, transposeB: false } as never,
      backend,
    })
    if (a !== inputs.a) backend.disposeData(a.dataId)
    if (b !== inputs.b) backend.disposeData(b.dataId)
    return out
  }
}

/** Runs the CPU kernel `name` on copies of the inputs and copies the outputs back to WASM. */
function onCpu(name: string): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const wasm = backend as KernelBackend
    const cpu = tf.engine().findBackend('cpu') as KernelBackend | null
    const kernel = tf.getKernel(name, 'cpu')
    if (!cpu || !kernel) throw new Error(`converge: CPU fallback for ${name} needs the cpu backend`)
    const made: object[] = []
    const copy = (t: TensorInfo): TensorInfo => {
      const dataId = cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype)
      made.push(dataId)
      return { dataId, shape: t.shape, dtype: t.dtype }
    }
    const entries = Object.entries(inputs as Record<string, TensorInfo>)
    const cpuInputs = Array.isArray(inputs)
      ? (inputs as TensorInfo[]).map(copy)
      : Object.fromEntries(entries.map(([k, t]) => [k, copy(t)]))
    try {
      const result = kernel.kernelFunc({ inputs: cpuInputs as never, attrs, backend: cpu }) as TensorInfo | TensorInfo[]
      const back = (o: TensorInfo): TensorInfo => {
        const dataId = wasm.write(cpu.readSync(o.dataId), o.shape, o.dtype)
        cpu.disposeData(o.dataId)
        return { dataId, shape: o.shape, dtype: o.dtype }
      }
      return (Array.isArray(result) ? result.map(back) : back(result)) as never
    } finally {
      for (const id of made) cpu.disposeData(id)
    }
  }
}

/** Installs the WASM kernel fixes. Call after the wasm backend is registered; safe to call twice. */
export function installWasmKernelFixes(): void {
  installComparisonGradients()
  if (installed) return
  const stockMatMul = originals.get('BatchMatMul') ?? tf.getKernel('BatchMatMul', 'wasm')
  const transpose = tf.getKernel('Transpose', 'wasm')
  if (!stockMatMul || !transpose) throw new Error('converge: the wasm backend is not registered')
  replaceWasmKernel('BatchMatMul', transposedMatMul(stockMatMul, transpose))
  for (const name of CPU_FALLBACK_KERNELS) replaceWasmKernel(name, onCpu(name))
  installed = true
}

/** Restores tfjs's stock WASM kernels (for side-by-side comparison). */
export function uninstallWasmKernelFixes(): void {
  if (!installed) return
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm')
    if (config) tf.registerKernel(config)
  }
  originals.clear()
  installed = false
}

export function wasmKernelFixesInstalled(): boolean {
  return installed
}

const COMPARISONS = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'] as const

/**
 * tfjs has no gradient for comparison ops, so a comparison inside a differentiated function (as
 * in `tf.where(tf.greater(x, 0), ...)` or `linalg.qr`) throws. Their true gradient is zero
 * almost everywhere; register that, on every backend.
 */
export function installComparisonGradients(): void {
  for (const kernelName of COMPARISONS) {
    if (tf.getGradient(kernelName)) continue
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved as [tf.Tensor, tf.Tensor]
        return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) }
      },
    })
  }
}
