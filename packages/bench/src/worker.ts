/**
 * Bench worker process: loads the bench config given as argv[2], then runs the jobs its parent
 * sends one at a time (through `createJobRunner`, so it warms up once per suite), reporting
 * progress and the finished record over IPC.
 */
import { loadConfig } from './config.js'
import { createJobRunner } from './job-runner.js'
import type { RunJob } from './job.js'

const configPath = process.argv[2]
if (!configPath || !process.send) {
  console.error('converge-bench worker: run by the bench, not directly')
  process.exit(2)
}
/**
 * The parent is gone (a SIGKILLed bench or queue worker): exit at once, writing nothing. A run
 * keeps the event loop busy, so the IPC 'disconnect' may never be seen; a changed parent pid is
 * (the process was re-parented). Writing an error instead would block on a stderr pipe that
 * nobody reads any more and leave an orphan.
 */
const parentPid = process.ppid
const quit = () => process.exit(0)
const parentGone = () => !process.connected || process.ppid !== parentPid
const send = (m: unknown) => {
  if (parentGone()) quit()
  process.send!(m, undefined, {}, (err) => {
    if (err) quit() // EPIPE: the parent died between the check and the write
  })
}
process.on('disconnect', quit)
for (const stream of [process.stdout, process.stderr]) stream.on('error', quit)
// The parent handles Ctrl-C and kills this process; a terminal's SIGINT must not kill it first.
process.on('SIGINT', () => {})
const config = await loadConfig(configPath)
const run = createJobRunner((name) => config.suites.find((s) => s.name === name))

let lastProgress = 0
process.on('message', (m: { type: 'run'; job: RunJob } | { type: 'exit' }) => {
  if (m.type === 'exit') process.exit(0) // also ends backends that keep the event loop alive
  run(m.job, (step) => {
    if (parentGone()) quit()
    const now = Date.now()
    if (now - lastProgress > 250) {
      lastProgress = now
      send({ type: 'progress', step })
    }
  }).then(
    (record) => send({ type: 'done', record }),
    (e: Error) => send({ type: 'error', name: e.name, message: e.message, stack: e.stack }),
  )
})
send({ type: 'ready' })
