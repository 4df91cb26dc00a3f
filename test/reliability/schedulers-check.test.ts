import t from 'tap'
import { scheduledJobs, schedulerOf } from '../../src/jobs/scheduled/registry.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'

t.test('schedulers deleted behind the worker come back within SCHEDULER_CHECK_MS', async (t) => {
  // Redis keeps its marker key and restarts nothing: only the periodic check can notice.
  const { app, worker } = await setUp(t, { worker: { SCHEDULER_CHECK_MS: 1500 } })
  const scheduled = app.queues['scheduled-jobs']
  const expected = Object.keys(scheduledJobs)
    .map((n) => schedulerOf(n, '06:00').key)
    .sort()
  const schedulers = async (): Promise<string[]> => (await scheduled.getJobSchedulers()).map((s) => s.key).sort()
  t.same(await schedulers(), expected, 'the daily schedulers are set at start')
  const before = await scheduled.getJobScheduler(expected[1])

  // One removed, then all of them; the one left alone in the first round keeps its next run.
  await scheduled.removeJobScheduler(expected[0])
  await waitUntil(async () => (await schedulers()).includes(expected[0]), 5000, 'the removed scheduler set again')
  t.same(await schedulers(), expected, 'one of each')
  t.equal((await scheduled.getJobScheduler(expected[1]))?.next, before?.next, 'a scheduler still there is untouched')

  for (const key of expected) await scheduled.removeJobScheduler(key)
  t.same(await schedulers(), [], 'all removed')
  const removed = Date.now()
  await waitUntil(async () => JSON.stringify(await schedulers()) === JSON.stringify(expected), 8000, 'all set again')
  const took = Date.now() - removed
  t.ok(took < 4500, `back ${took} ms after removal (check every 1500 ms)`)
  t.comment(`schedulers deleted behind the worker: back after ${took} ms (SCHEDULER_CHECK_MS=1500)`)
  t.ok(worker.logs.text().includes('job schedulers were missing and are set again'), 'the repair is logged')
  t.notOk(worker.logs.text().includes('the queue backend lost its jobs'), 'not taken for a Redis restarted empty')
})
