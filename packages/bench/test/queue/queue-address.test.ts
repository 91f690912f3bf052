import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseQueueUrl } from '../../src/queue/connection.js'
import { queueJobId } from '../../src/queue/protocol.js'
import { codeRevision } from '../../src/queue/revision.js'
import type { RunJob } from '../../src/run-one.js'

describe('--queue addresses', () => {
  it('reads host, port, database, user and password; masks the password when printed', () => {
    const a = parseQueueUrl('redis://bench:s3cret@10.0.0.5:6380/2')
    expect(a.connection).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, username: 'bench', password: 's3cret', maxRetriesPerRequest: null })
    expect(a.display).toBe('redis://bench:***@10.0.0.5:6380/2')
    expect(a.display).not.toContain('s3cret')
  })
  it('defaults to port 6379 and database 0; rediss:// turns TLS on', () => {
    expect(parseQueueUrl('redis://localhost').connection).toMatchObject({ host: 'localhost', port: 6379, db: 0 })
    expect(parseQueueUrl('redis://localhost').connection.tls).toBeUndefined()
    expect(parseQueueUrl('rediss://q.example:6380').connection.tls).toEqual({ servername: 'q.example' })
  })
  it.each([
    ['localhost:6379', /uses localhost:; expected redis:\/\/ or rediss:\/\//],
    ['redis//nohost', /is not a URL/],
    ['http://localhost:6379', /uses http:; expected redis:\/\/ or rediss:\/\//],
    ['redis://localhost:6379/x', /database "x" .* is not a non-negative integer/],
  ])('rejects %s with a clear error', (url, pattern) => {
    expect(() => parseQueueUrl(url)).toThrow(pattern)
  })
})

describe('queue job ids', () => {
  const job: RunJob = { kind: 'run', hp: {}, sourceHash: 'src', suite: 's', arm: 'a', seed: 3, size: 'quick', maxSteps: 10, evalEvery: 5, backend: 'wasm', tunedWasm: true, configHash: 'abc' }
  it('are the same for the same run and differ across seeds and settings, without ":"', () => {
    expect(queueJobId(job)).toBe(queueJobId({ ...job }))
    expect(queueJobId(job)).not.toBe(queueJobId({ ...job, seed: 4 }))
    expect(queueJobId(job)).not.toBe(queueJobId({ ...job, configHash: 'abd' }))
    expect(queueJobId({ ...job, arm: 'a:b' })).not.toContain(':')
  })
})

describe('code revision', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-rev-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim()

  it('is the commit on a clean tree, and changes with tracked edits and untracked files', () => {
    expect(codeRevision(dir)).toBe('unversioned')
    git('init', '-q')
    writeFileSync(join(dir, 'a.ts'), 'export const a = 1\n')
    git('add', '.')
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'a')
    const head = git('rev-parse', 'HEAD')
    expect(codeRevision(dir)).toBe(head)
    writeFileSync(join(dir, 'a.ts'), 'export const a = 2\n')
    const edited = codeRevision(dir)
    expect(edited).toMatch(new RegExp(`^${head}\\+dirty\\.[0-9a-f]{12}$`))
    writeFileSync(join(dir, 'b.ts'), 'export const b = 1\n')
    const withNew = codeRevision(dir)
    expect(withNew).not.toBe(edited)
    writeFileSync(join(dir, 'b.ts'), 'export const b = 2\n')
    expect(codeRevision(dir)).not.toBe(withNew)
  })
})
