import { spawnSync } from 'node:child_process'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/errors/throw-after-wasm.ts')

function runScript(how: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, how], { cwd: path.dirname(script), encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stderr: r.stderr, stdout: r.stdout }
}

// Each case starts the WASM backend in a fresh process, then fails the way a user's script does.
describe('a user error after the WASM backend has started', () => {
  it.each([
    ['after', 'user error after train'],
    ['hook', 'user error in a hook'],
    ['rejection', 'user unhandled rejection'],
  ])('(%s) prints its own message and stack, no tfjs source, and exits with code 1', (how, message) => {
    const { code, stderr, stdout } = runScript(how)
    expect(stderr).toContain(`Error: ${message}`)
    expect(stderr).toMatch(/at .*throw-after-wasm\.ts/)
    expect(stderr).not.toMatch(/tfjs-backend-wasm|ExitStatus|WasmBackendModule/)
    expect(stderr.length).toBeLessThan(4000)
    expect(`${stdout}${stderr}`).not.toMatch(/looks like you are running TensorFlow\.js in Node\.js/)
    expect(code).toBe(1)
  }, 60_000)
})

describe("tfjs's Node.js banner", () => {
  it('is not printed by a script that uses the default CPU backend and trains on it', () => {
    const { code, stderr, stdout } = runScript('cpu')
    expect(code).toBe(0)
    expect(`${stdout}${stderr}`).not.toMatch(/looks like you are running TensorFlow\.js/)
  }, 60_000)
})
