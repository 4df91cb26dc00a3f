import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import t, { type Test } from 'tap'
import { answers } from '../../src/config/services.js'
import { scheduledJobs, schedulerOf } from '../../src/jobs/scheduled/registry.js'
import { referralBody } from '../support/bodies.js'
import { closedPort } from '../support/processes.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'

/** A Redis of the test's own, without persistence: killed and started again, it comes back empty. */
async function throwawayRedis(t: Test): Promise<{ url: string; restartEmpty: () => Promise<void> }> {
  const port = await closedPort()
  let proc: ChildProcess | null = null
  const start = async (): Promise<void> => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore'
    })
    await waitUntil(async () => await answers(port, 200), 10_000, 'redis-server to listen')
  }
  const kill = async (): Promise<void> => {
    const p = proc
    proc = null
    if (p === null || p.exitCode !== null) return
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve())
      p.kill('SIGKILL')
    })
  }
  await start()
  t.teardown(kill)
  return {
    url: `redis://127.0.0.1:${port}`,
    restartEmpty: async () => {
      await kill()
      await start()
    }
  }
}

/** This test runs a Redis server of its own: where none is installed, it cannot. */
const noRedisServer =
  spawnSync('redis-server', ['--version']).error !== undefined ? 'no redis-server installed here' : false

t.test(
  'Redis restarted empty: the daily schedulers are back and a waiting message goes out once, in seconds',
  { skip: noRedisServer },
  async (t) => {
    const redis = await throwawayRedis(t)
    // The first try is refused (451) and its retry waits ten minutes in Redis: a job Redis will lose.
    const {
      app,
      db,
      tenant,
      tokens: { referrer },
      smtp,
      worker
    } = await setUp(t, {
      smtp: { failTimes: 1 },
      worker: true,
      env: { REDIS_URL: redis.url, TEST_QUEUE_BACKEND: 'redis', NOTIFICATION_BACKOFF_MS: '600000' }
    })
    const scheduled = app.queues['scheduled-jobs']
    const expected = Object.keys(scheduledJobs)
      .map((n) => schedulerOf(n, '06:00').key)
      .sort()
    const schedulers = async (): Promise<string[]> =>
      (await scheduled.getJobSchedulers().catch(() => [])).map((s) => s.key).sort()
    t.same(await schedulers(), expected, 'the daily schedulers are set at start')

    const created = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(await tenant.programme(), { referrer: { email: 'lost.job@school.example' } })
    })
    t.equal(created.statusCode, 201)
    const { id } = created.json()
    const row = async (): Promise<{ status: string; attempts: number; enqueued_at: Date | null } | undefined> =>
      await db
        .selectFrom('notifications')
        .select(['status', 'attempts', 'enqueued_at'])
        .where('subject_id', '=', id)
        .executeTakeFirst()
    // Tried once, its retry delayed, and the relay has seen it queued: nothing would send it for minutes.
    await waitUntil(
      async () => {
        const n = await row()
        return n?.attempts === 1 && n.enqueued_at !== null
      },
      10_000,
      'first try refused and the row claimed by the relay'
    )
    t.equal(smtp.refused(), 1)

    await redis.restartEmpty()
    const restarted = Date.now()
    await waitUntil(
      async () => (await row())?.status === 'sent',
      30_000,
      'the waiting message sent after Redis came back empty'
    )
    const tookSend = Date.now() - restarted
    await waitUntil(
      async () => JSON.stringify(await schedulers()) === JSON.stringify(expected),
      30_000,
      'the schedulers set again'
    )
    const tookSchedules = Date.now() - restarted
    t.ok(
      tookSend < 20_000,
      `the waiting message went out ${tookSend} ms after Redis came back (the relay alone waits two minutes)`
    )
    t.ok(tookSchedules < 20_000, `the daily schedulers were back ${tookSchedules} ms after Redis came back`)
    t.comment(`Redis restarted empty: message sent after ${tookSend} ms, schedulers back after ${tookSchedules} ms`)

    await new Promise((r) => setTimeout(r, 1000))
    t.equal(smtp.messages.length, 1, 'sent once')
    t.equal((await row())?.attempts, 2, 'the refused try and the one that went out')
    t.ok(worker.logs.text().includes('the queue backend lost its jobs'), 'the loss is logged')
    // Setting them again is idempotent: one scheduler each, whatever else runs.
    await new Promise((r) => setTimeout(r, 500))
    t.same(await schedulers(), expected, 'still one scheduler each')
  }
)
