import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type * as tf from '@tensorflow/tfjs'
import type { TensorRecord } from './codec.js'
import { CheckpointError } from './errors.js'
import { makeDir } from '../files/make-dir.js'

/** The on-disk format's name and version; a checkpoint of another version is refused, never guessed at. */
export const CHECKPOINT_FORMAT = 'converge-checkpoint'
export const CHECKPOINT_VERSION = 1

const MANIFEST = 'manifest.json'
const DATA = 'tensors.bin'
const SUMS = 'SHA256SUMS'
const PREFIX = 'ckpt-'
const TMP_PREFIX = '.tmp-'

/** Where a tensor's bytes sit in `tensors.bin`. */
export interface TensorEntry {
  readonly dtype: tf.DataType
  readonly shape: readonly number[]
  readonly byteOffset: number
  readonly byteLength: number
}

/** What `manifest.json` holds. */
export interface CheckpointManifest {
  readonly format: typeof CHECKPOINT_FORMAT
  readonly version: number
  /** Optimizer steps taken when it was written. */
  readonly step: number
  readonly createdAt: string
  /** The run settings that determine its numbers, and their hash: resuming under other settings is refused. */
  readonly settings: Record<string, unknown>
  readonly settingsHash: string
  readonly tensors: readonly TensorEntry[]
  /** The run's state as JSON, tensors referenced by index into `tensors`. */
  readonly state: unknown
}

/** A checkpoint read back and verified. */
export interface LoadedCheckpoint {
  readonly path: string
  readonly manifest: CheckpointManifest
  readonly tensors: readonly TensorRecord[]
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex')

/** Checkpoint directories under `dir` (complete ones only: temporaries are never listed), newest first. */
export function listCheckpoints(dir: string): { step: number; path: string }[] {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(PREFIX) && /^\d+$/.test(n.slice(PREFIX.length)))
    .map((n) => ({ step: Number(n.slice(PREFIX.length)), path: path.join(dir, n) }))
    .sort((a, b) => b.step - a.step)
}

function writeFileSynced(file: string, data: Uint8Array | string): void {
  const fd = fs.openSync(file, 'w')
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // Some filesystems cannot fsync a directory; the rename is still atomic there.
  }
}

/**
 * Writes a checkpoint atomically: everything goes to a temporary directory (data, manifest, and
 * their SHA-256 sums, each fsynced), which is then renamed to `ckpt-<step>`. A process killed
 * mid-write leaves only a temporary, which listing ignores. Keeps the newest `keep` checkpoints.
 */
export function writeCheckpoint(
  dir: string,
  body: Omit<CheckpointManifest, 'format' | 'version' | 'tensors' | 'createdAt'>,
  tensors: readonly TensorRecord[],
  keep: number,
): string {
  makeDir(dir, 'checkpoint.dir')
  const entries: TensorEntry[] = []
  let offset = 0
  for (const t of tensors) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') throw new CheckpointError(`checkpoints store float32, int32 and bool tensors; got ${t.dtype}`)
    entries.push({ dtype: t.dtype, shape: t.shape, byteOffset: offset, byteLength: t.values.byteLength })
    offset += t.values.byteLength
  }
  const data = new Uint8Array(offset)
  tensors.forEach((t, i) => data.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), entries[i]!.byteOffset))
  const manifest: CheckpointManifest = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, createdAt: new Date().toISOString(), ...body, tensors: entries }
  const manifestText = JSON.stringify(manifest)

  const name = `${PREFIX}${String(body.step).padStart(9, '0')}`
  const tmp = path.join(dir, `${TMP_PREFIX}${name}-${process.pid}-${Date.now()}`)
  fs.mkdirSync(tmp)
  writeFileSynced(path.join(tmp, DATA), data)
  writeFileSynced(path.join(tmp, MANIFEST), manifestText)
  writeFileSynced(path.join(tmp, SUMS), `${sha256(manifestText)}  ${MANIFEST}\n${sha256(data)}  ${DATA}\n`)
  syncDir(tmp)
  const final = path.join(dir, name)
  // A checkpoint of the same step exists only after a fallback past a damaged one: replace it.
  if (fs.existsSync(final)) fs.rmSync(final, { recursive: true, force: true })
  fs.renameSync(tmp, final)
  syncDir(dir)
  for (const old of listCheckpoints(dir).slice(keep)) fs.rmSync(old.path, { recursive: true, force: true })
  return final
}

/** Removes temporaries that a killed writer left behind. */
export function removeTemporaries(dir: string): void {
  if (!fs.existsSync(dir)) return
  for (const n of fs.readdirSync(dir)) if (n.startsWith(TMP_PREFIX)) fs.rmSync(path.join(dir, n), { recursive: true, force: true })
}

/**
 * Reads and verifies one checkpoint directory: both files present, their SHA-256 sums as recorded,
 * the format and version ours, every tensor inside the data. Any failure is a CheckpointError
 * saying which.
 */
export function readCheckpoint(checkpointPath: string): LoadedCheckpoint {
  const where = `checkpoint ${checkpointPath}`
  const read = (file: string) => {
    try {
      return fs.readFileSync(path.join(checkpointPath, file))
    } catch (e) {
      throw new CheckpointError(`${where} is incomplete: cannot read ${file} (${(e as Error).message})`, 'damaged')
    }
  }
  const sums = new Map(
    read(SUMS)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [hash, file] = line.split(/\s+/)
        return [file, hash] as const
      }),
  )
  const manifestBytes = read(MANIFEST)
  const data = read(DATA)
  if (sums.get(MANIFEST) !== sha256(manifestBytes)) throw new CheckpointError(`${where} is corrupt: ${MANIFEST} does not match its SHA-256 sum`, 'damaged')
  if (sums.get(DATA) !== sha256(data)) throw new CheckpointError(`${where} is corrupt: ${DATA} does not match its SHA-256 sum (truncated or damaged)`, 'damaged')
  let manifest: CheckpointManifest
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as CheckpointManifest
  } catch (e) {
    throw new CheckpointError(`${where}: ${MANIFEST} is not valid JSON (${(e as Error).message})`, 'damaged')
  }
  if (manifest.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`${where} is not a converge checkpoint (format "${String(manifest.format)}")`)
  if (manifest.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${where} has format version ${manifest.version}; this converge reads version ${CHECKPOINT_VERSION} only`)
  }
  const tensors = manifest.tensors.map((e, i): TensorRecord => {
    if (e.byteOffset + e.byteLength > data.byteLength) throw new CheckpointError(`${where}: tensor ${i} lies outside ${DATA}`, 'damaged')
    const bytes = data.buffer.slice(data.byteOffset + e.byteOffset, data.byteOffset + e.byteOffset + e.byteLength)
    const values = e.dtype === 'float32' ? new Float32Array(bytes) : e.dtype === 'int32' ? new Int32Array(bytes) : new Uint8Array(bytes)
    if (values.length !== e.shape.reduce((a, b) => a * b, 1)) throw new CheckpointError(`${where}: tensor ${i} has ${values.length} values for shape [${e.shape.join(', ')}]`, 'damaged')
    return { dtype: e.dtype, shape: e.shape, values }
  })
  return { path: checkpointPath, manifest, tensors }
}

/** The newest checkpoint in a run's directory that verifies (damaged ones skipped); an error naming why when none does. */
export function newestReadableCheckpoint(dir: string): LoadedCheckpoint {
  const reasons: string[] = []
  for (const { path: p } of listCheckpoints(dir)) {
    try {
      return readCheckpoint(p)
    } catch (e) {
      if (!(e instanceof CheckpointError) || e.kind !== 'damaged') throw e
      reasons.push(e.message)
    }
  }
  throw new CheckpointError(`no usable checkpoint in ${dir}${reasons.length ? `: ${reasons.join('; ')}` : ''}`)
}
