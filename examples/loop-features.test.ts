import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'

// The example the guide points at runs end to end: schedule, EMA, early stopping, metrics file, export and reload.
describe('examples/loop-features.ts', () => {
  it('stops early, writes its metrics file and exports weights that reload', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'converge-loop-features-'))
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'loop-features.ts'), out], { encoding: 'utf8', timeout: 120_000 })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/stopped: (early stopping|budget) at step \d+/)
      expect(r.stdout).toMatch(/exported best weights \(dense1\/kernel, dense1\/bias, dense2\/kernel, dense2\/bias\) reloaded: live accuracy 0\.\d{3}/)
      expect(fs.readdirSync(out).sort()).toEqual(['best', 'ema', 'run.csv'])
      expect(fs.readFileSync(path.join(out, 'run.csv'), 'utf8').split('\n')[0]).toBe('step,phase,lr,loss,loss.ce,eval.accuracy,eval.loss,eval.live.accuracy,eval.live.loss,ms')
    } finally {
      fs.rmSync(out, { recursive: true, force: true })
    }
  }, 120_000)
})
