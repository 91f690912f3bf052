/**
 * Probe: can tfjs 4.22's threaded-SIMD WASM build run under Node's worker_threads? tfjs turns
 * threads off in Node (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE, tensorflow/tfjs issue
 * 3830); forced on, its Emscripten glue hands the pthread workers blob: URLs, which worker_threads
 * cannot load, and a main script that is the factory's source cut out of tfjs's bundle. The shim
 * below: records every Blob's text; writes the worker script to a temporary file and returns its
 * path from URL.createObjectURL; makes the worker load the main script from a file, with the
 * bundle's module variables (require$$0 … commonjsGlobal) defined in front of it. Then it times
 * a 512³ matmul (wall and process CPU time, workers included) and prints its first values.
 *
 *   THREADS=0 node packages/core/bench/wasm-threads-probe.cjs            # the default SIMD build
 *   THREADS=1 node packages/core/bench/wasm-threads-probe.cjs            # threaded build, XNNPACK threads = cpus / 2
 *   THREADS=1 FAKE_CPUS=4 node packages/core/bench/wasm-threads-probe.cjs  # os.cpus() padded to 4: 2 XNNPACK threads
 *
 * A probe, not a supported path: the shim depends on names inside tfjs's bundle.
 */
const fs = require('fs'), os = require('os'), path = require('path')
const NodeBlob = globalThis.Blob
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-threads-'))
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }))
let n = 0, mainScript = null
// the factory's source refers to the bundle's module variables, which the worker does not have
const PRELUDE = "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os'), commonjsGlobal = globalThis;\n"
class RecordingBlob extends NodeBlob { constructor(parts, opts) { super(parts, opts); this.text_ = parts.join(''); if (this.text_.startsWith('var WasmBackendModuleThreadedSimd')) fs.writeFileSync(path.join(dir, 'main.js'), PRELUDE + this.text_) } }
globalThis.Blob = RecordingBlob
const nativeCreate = URL.createObjectURL
URL.createObjectURL = (blob) => {
  if (!(blob instanceof RecordingBlob)) return nativeCreate(blob)
  let text = blob.text_
  if (text.startsWith('var WasmBackendModuleThreadedSimd')) { fs.writeFileSync(path.join(dir, 'main.js'), text); return nativeCreate(blob) }
  // the pthread worker: load the main script from a file instead of a blob: URL (worker_threads cannot import blob: URLs)
  text = text.replace('var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)', `importScripts(${JSON.stringify(path.join(dir, 'main.js'))})`)
  const file = path.join(dir, `worker${n++}.js`)
  fs.writeFileSync(file, text)
  return file
}
const fakeCpus = Number(process.env.FAKE_CPUS || 0)
if (fakeCpus) { const real = os.cpus; os.cpus = () => { const c = real(); while (c.length < fakeCpus) c.push(c[0]); return c } }
const tf = require('@tensorflow/tfjs')
const wasm = require('@tensorflow/tfjs-backend-wasm')
;(async () => {
  const threads = process.env.THREADS === '1'
  if (threads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true)
  const t0 = performance.now()
  // main.js must exist before the workers load it: written as soon as tfjs builds it (during setBackend)
  const timer = setInterval(() => { if (mainScript && !fs.existsSync(path.join(dir, 'main.js'))) fs.writeFileSync(path.join(dir, 'main.js'), mainScript) }, 1)
  const ok = await tf.setBackend('wasm'); await tf.ready()
  clearInterval(timer)
  console.log(JSON.stringify({ threads, ok, initMs: Math.round(performance.now() - t0), xnnThreads: wasm.getThreadsCount(), cpus: os.cpus().length }))
  const a = tf.randomNormal([512, 512], 0, 1, 'float32', 1), b = tf.randomNormal([512, 512], 0, 1, 'float32', 2)
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
  const first = tf.matMul(a, b).dataSync().slice(0, 3)
  for (let r = 0; r < 3; r++) { const w = performance.now(), c = cpu(); for (let i = 0; i < 20; i++) tf.matMul(a, b).dispose(); tf.matMul(a,b).dataSync(); console.log(`matmul 512^3: ${((performance.now() - w) / 21).toFixed(2)} ms wall, ${((cpu() - c) / 21).toFixed(2)} ms CPU (process)`) }
  console.log('first values', Array.from(first).join(' '))
  tf.removeBackend('wasm')
  process.exit(0)
})().catch((e) => { console.error('FAILED', e); process.exit(1) })
