import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, encoding: 'buffer', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 })

/**
 * The code a bench process runs: the git commit, plus a digest of uncommitted changes (tracked
 * diffs and untracked files) when the tree is dirty. Coordinator and workers compare it, so a
 * worker on another commit, or with local edits, refuses runs instead of recording numbers from
 * other code. Outside a git checkout it is 'unversioned' and only the settings hash is checked.
 */
export function codeRevision(cwd: string = process.cwd()): string {
  let head: string
  try {
    head = git(cwd, ['rev-parse', 'HEAD']).toString().trim()
  } catch {
    return 'unversioned'
  }
  const root = git(cwd, ['rev-parse', '--show-toplevel']).toString().trim()
  const diff = git(root, ['diff', 'HEAD', '--binary'])
  const untracked = git(root, ['ls-files', '--others', '--exclude-standard', '-z']).toString().split('\0').filter(Boolean).sort()
  if (diff.length === 0 && untracked.length === 0) return head
  const h = createHash('sha256').update(diff)
  for (const f of untracked) {
    h.update(`\0${f}\0`)
    try {
      h.update(readFileSync(join(root, f)))
    } catch {
      // a file removed while hashing: its name still counts
    }
  }
  return `${head}+dirty.${h.digest('hex').slice(0, 12)}`
}
