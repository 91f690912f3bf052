import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../bin/converge-bench.js', import.meta.url))
export const QUEUE_CONFIG = fileURLToPath(new URL('../fixtures/queue.config.ts', import.meta.url))
export const ALTERED_CONFIG = fileURLToPath(new URL('../fixtures/queue-altered.config.ts', import.meta.url))

/** Whether a real redis-server is on PATH (CI installs it; elsewhere the queue tests say why they skip). */
export const hasRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** A throwaway redis-server on a free loopback port, persisting to a temp folder (so a restart keeps the queue). */
export class RedisServer {
  private proc: ChildProcess | null = null
  readonly dir = mkdtempSync(join(tmpdir(), 'cb-redis-'))
  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort())
    await server.launch()
    return server
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc = proc
    let out = ''
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    const deadline = Date.now() + 10_000
    while (!/Ready to accept connections/.test(out)) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited: ${out}`)
      if (Date.now() > deadline) throw new Error(`redis-server did not start: ${out}`)
      await sleep(50)
    }
  }

  /** Stops the server (SIGTERM: it flushes its append-only file first). */
  async stop(): Promise<void> {
    const proc = this.proc
    if (!proc || proc.exitCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill('SIGTERM')
    })
    this.proc = null
  }

  async restart(downMs = 1000): Promise<void> {
    await this.stop()
    await sleep(downMs)
    await this.launch()
  }

  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A converge-bench process (coordinator or worker) with its output collected. */
export class BenchProcess {
  output = ''
  readonly exited: Promise<number | null>
  private constructor(readonly proc: ChildProcess) {
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()))
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()))
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)))
  }

  static spawn(args: string[]): BenchProcess {
    return new BenchProcess(spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } }))
  }

  /** Resolves when the output matches (checked every 50 ms), or rejects after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 150_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const m = this.output.match(pattern)
      if (m) return m
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${this.output}`)
      await sleep(50)
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.proc.exitCode === null) this.proc.kill(signal)
  }

  /** Stops a worker the way Ctrl-C does, and waits for it. */
  async stop(): Promise<void> {
    this.kill('SIGINT')
    await this.exited
  }
}

/**
 * A worker taking one run at a time from `queue`; a killed one's run is retried after about 6 s.
 * The lock is renewed every 3 s: a shorter one (2 s) expired on a loaded CI machine when a renewal
 * came late, and a run that stalls twice ends as failed.
 */
export const worker = (queue: string, ...extra: string[]) =>
  BenchProcess.spawn(['worker', '--queue', queue, '--config', QUEUE_CONFIG, '--jobs', '1', '--lock-ms', '6000', ...extra])

/** A coordinator for the paced suite. */
export const coordinator = (queue: string, out: string, ...extra: string[]) =>
  BenchProcess.spawn(['--queue', queue, '--config', QUEUE_CONFIG, '--suite', 'queued', '--out', out, ...extra])
