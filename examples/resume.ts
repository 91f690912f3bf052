/**
 * Checkpoints and exact resume, the hard way: a run is killed with SIGKILL in the middle, restarted,
 * and must end exactly as a run that was never interrupted — same losses, same metrics, same
 * steps-to-target, bit for bit.
 *
 * The training script (`--child`) is written the way a long job should be: `resume: true` with a
 * checkpoint directory, so starting it again continues from the newest complete checkpoint (or
 * from step 0 when there is none). This script runs it, kills it at step `killAt`, runs it again,
 * and compares the result with an uninterrupted run. Exits 0 only when they are identical.
 *
 *   npx tsx examples/resume.ts [rl | frugal] [killAt]      (default: rl, killed at step 17)
 *
 * Killed at step 17, the job resumes from its checkpoint at step 10 and reaches the target
 * (accuracy 0.3 / excess loss 0.6) at step 20, after the resume.
 *
 * rl:     RL arithmetic with a noisy verifier, the UCB curriculum choosing sources and
 *         noisy-reward correcting rewards from appeals (two updates per batch of rollouts).
 * frugal: the char-LM trained with FRUGAL, subspace refreshed every 20 steps.
 */
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { train, type RunResult, type TrainOptions } from '@converge/core'
import { frugal } from '@converge/frugal'
import { noisyReward } from '@converge/noisy-reward'
import { charLm, rlArithmetic } from '@converge/tasks'
import { ucbCurriculum } from '@converge/ucb-curriculum'

const EVERY = 10 // checkpoint every 10 steps

function settings(scenario: string): TrainOptions {
  if (scenario === 'rl') {
    const task = rlArithmetic({
      sources: [
        { name: 'add3', range: 3 },
        { name: 'add6', range: 6 },
        { name: 'add24', range: 24, poolSize: 64, role: 'unsolvable' },
      ],
      verifier: { falseNegative: 0.3 },
      appeal: { truePositiveRate: 1, falsePositiveRate: 0 },
      prompts: 8,
      groupSize: 4,
      hidden: 16,
      updatesPerBatch: 2,
      targetAccuracy: 0.3,
    })
    const tricks = [ucbCurriculum(), noisyReward({ correction: 'forward', rho1: 'appeals', rescale: true, appeals: { rate: 0.25 } })]
    return { task, tricks, seed: 3, maxSteps: 60, evalEvery: 10, backend: 'wasm' }
  }
  if (scenario === 'frugal') {
    const task = charLm({ vocab: 8, contextLength: 4, embeddingDim: 8, trainChars: 4096, evalChars: 256, batchSize: 16, learningRate: 1e-2 })
    return { task, tricks: [frugal({ updateGap: 20 })], target: { metric: 'excess', value: 0.6 }, seed: 3, maxSteps: 60, evalEvery: 10, backend: 'wasm' }
  }
  throw new Error(`unknown scenario "${scenario}" (rl or frugal)`)
}

/** What must match: every loss and loss term, every evaluation, steps-to-target, the phases. */
const fingerprint = (r: RunResult) =>
  JSON.stringify({ losses: r.losses, lossTerms: r.lossTerms, history: r.history.map((h) => [h.step, h.metrics]), stepsToTarget: r.stepsToTarget, phases: r.phases }, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  )

if (process.argv[2] === '--child') {
  // The training job: resumes from its directory when there is a checkpoint there.
  const [, , , scenario, dir, killAt, out] = process.argv
  const result = await train({
    ...settings(scenario!),
    checkpoint: { dir: dir!, everySteps: EVERY },
    resume: true,
    onStep: (r) => {
      if (r.step !== Number(killAt)) return
      console.log(`parked at step ${r.step}`) // the parent kills us here: mid-run, between checkpoints
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000)
    },
  })
  fs.writeFileSync(out!, JSON.stringify({ fingerprint: fingerprint(result), resumedFrom: result.resumedFrom?.step ?? null, stepsToTarget: result.stepsToTarget }))
} else {
  const scenario = process.argv[2] ?? 'rl'
  const killAt = Number(process.argv[3] ?? 17)
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-resume-example-'))
  const dir = path.join(work, 'checkpoints')
  const out = path.join(work, 'result.json')
  const self = fileURLToPath(import.meta.url)
  const job = (kill: number) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', self, '--child', scenario, dir, String(kill), out], { cwd: path.dirname(self), stdio: ['ignore', 'pipe', 'inherit'] })
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('parked')) child.kill('SIGKILL')
      })
      child.on('exit', (code, signal) => resolve({ code, signal }))
    })
  try {
    const first = await job(killAt)
    const checkpoints = fs.readdirSync(dir).filter((n) => n.startsWith('ckpt-'))
    console.log(`run 1: killed by ${first.signal} at step ${killAt}; checkpoints on disk: ${checkpoints.join(', ')}`)
    const second = await job(0)
    if (second.code !== 0) throw new Error(`the resumed run failed (exit ${second.code})`)
    const resumed = JSON.parse(fs.readFileSync(out, 'utf8')) as { fingerprint: string; resumedFrom: number | null; stepsToTarget: number | null }
    console.log(`run 2: resumed from step ${resumed.resumedFrom} and finished; steps-to-target ${resumed.stepsToTarget ?? 'not reached'}`)
    const reference = await train(settings(scenario))
    const same = first.signal === 'SIGKILL' && resumed.resumedFrom !== null && resumed.fingerprint === fingerprint(reference)
    console.log(`uninterrupted run: steps-to-target ${reference.stepsToTarget ?? 'not reached'}`)
    console.log(same ? 'identical: every loss, metric and steps-to-target matches bit for bit' : 'MISMATCH: the resumed run differs from the uninterrupted one')
    process.exitCode = same ? 0 : 1
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}
