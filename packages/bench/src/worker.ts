/**
 * Bench worker process: loads the bench config given as argv[2], then runs the jobs its parent
 * sends one at a time, reporting progress and the finished record over IPC.
 */
import { loadConfig } from './config.js'
import { runOne, type RunJob } from './run-one.js'

const configPath = process.argv[2]
if (!configPath || !process.send) {
  console.error('converge-bench worker: run by the bench, not directly')
  process.exit(2)
}
const config = await loadConfig(configPath)
const send = (m: unknown) => process.send!(m)

let lastProgress = 0
process.on('message', (m: { type: 'run'; job: RunJob } | { type: 'exit' }) => {
  if (m.type === 'exit') process.exit(0) // also ends backends that keep the event loop alive
  const { job } = m
  const suite = config.suites.find((s) => s.name === job.suite)
  if (!suite) {
    send({ type: 'error', message: `suite "${job.suite}" is not in ${configPath}` })
    return
  }
  runOne(suite, job, (step) => {
    const now = Date.now()
    if (now - lastProgress > 250) {
      lastProgress = now
      send({ type: 'progress', step })
    }
  }).then(
    (record) => send({ type: 'done', record }),
    (e: Error) => send({ type: 'error', message: e.message, stack: e.stack }),
  )
})
process.on('disconnect', () => process.exit(0))
send({ type: 'ready' })
