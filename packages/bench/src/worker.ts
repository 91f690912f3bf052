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
const send = (m: unknown) => process.send!(m)
// The parent handles Ctrl-C and kills this process; a terminal's SIGINT must not kill it first.
process.on('SIGINT', () => {})
const config = await loadConfig(configPath)
const run = createJobRunner((name) => config.suites.find((s) => s.name === name))

let lastProgress = 0
process.on('message', (m: { type: 'run'; job: RunJob } | { type: 'exit' }) => {
  if (m.type === 'exit') process.exit(0) // also ends backends that keep the event loop alive
  run(m.job, (step) => {
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
process.on('disconnect', () => process.exit(0))
send({ type: 'ready' })
