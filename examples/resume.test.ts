import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./resume.ts', import.meta.url))

// The example kills its training job with SIGKILL mid-run, resumes it, and exits 0 only when the
// result equals an uninterrupted run's bit for bit (RL task, UCB curriculum, noisy-reward appeals).
describe('examples/resume.ts', () => {
  it('the RL run with UCB curriculum and noisy-reward appeals, killed at step 17, resumes to the identical result', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, 'rl', '17'], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8', timeout: 120_000 })
    expect(r.stdout).toContain('run 1: killed by SIGKILL at step 17')
    expect(r.stdout).toContain('run 2: resumed from step 10 and finished; steps-to-target 20')
    expect(r.stdout).toContain('identical: every loss, metric and steps-to-target matches bit for bit')
    expect(r.status).toBe(0)
  }, 120_000)
})
