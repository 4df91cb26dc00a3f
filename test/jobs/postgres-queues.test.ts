import t from 'tap'
import { sql } from 'kysely'
import { auth } from '../support/tokens.js'
import { build, testConfig } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { referralBody } from '../support/bodies.js'
import { waitUntil } from '../support/time.js'
import { openDatabase } from '../support/set-up.js'
import { startMailListener } from '../support/mail.js'
import { startTestWorker } from '../support/worker.js'
import { createQueueBackend, queueSchema } from '../../src/jobs/queue-backend.js'
import { createScheduledJobsQueue } from '../../src/jobs/scheduled/scheduled-queue.js'
import { scheduledJobs, schedulerOf } from '../../src/jobs/scheduled/registry.js'

/**
 * Queues on BullMQ's PostgreSQL backend (what a machine without Redis gets): the same service, with
 * every queue and worker made through queue-backend.ts on the service's own database.
 */
t.test('on the PostgreSQL queue backend: acknowledgement sent, job runs, daily schedulers, readiness', async (t) => {
  const smtp = await startMailListener(t)
  // A Redis URL nothing answers at: the queues must not touch Redis at all.
  const { app, config, logs } = await build(t, {
    SMTP_URL: smtp.url,
    TEST_QUEUE_BACKEND: 'postgres',
    REDIS_URL: 'redis://127.0.0.1:1',
    SCHEDULE_TIME: '07:30'
  })
  t.equal(config.queueBackend, 'postgres')
  const db = openDatabase(t, config.DATABASE_URL)
  await startTestWorker(t, config)

  await waitUntil(
    async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
    10_000,
    'ready'
  )
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.same(
    ready.json(),
    { status: 'ok', queue_backend: 'postgres', checks: { postgres: 'ok', queues: 'ok' } },
    'readiness names the queue backend it checked'
  )

  const tenant = await createTenant(app)
  const programme = await tenant.programme()
  const referrer = tenant.token('referrer')
  const res = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(referrer),
    payload: referralBody(programme)
  })
  t.equal(res.statusCode, 201, res.body)
  await smtp.waitFor(1)
  t.equal(smtp.messages.length, 1, 'the acknowledgement went out')
  t.match(smtp.messages[0].subject, res.json().reference as string)

  const run = await app.inject({
    method: 'POST',
    url: '/v1/jobs/training-expiry-alerts/runs',
    headers: auth(tenant.token('admin')),
    payload: {}
  })
  t.equal(run.statusCode, 202, run.body + logs.join(''))
  await waitUntil(
    async () =>
      (
        await app.inject({
          method: 'GET',
          url: `/v1/jobs/runs/${run.json().id as string}`,
          headers: auth(tenant.token('admin'))
        })
      ).json().status === 'succeeded',
    15_000,
    'job run'
  )

  const backend = createQueueBackend(config)
  const queue = createScheduledJobsQueue(backend)
  t.teardown(async () => {
    await queue.close()
    await backend.close()
  })
  const schedulers = await queue.getJobSchedulers()
  t.same(
    schedulers.map((s) => s.key).sort(),
    Object.keys(scheduledJobs)
      .map((n) => schedulerOf(n, '07:30').key)
      .sort(),
    'one scheduler per job'
  )
  t.equal(schedulers.find((s) => s.key.startsWith('daily:'))?.pattern, '30 7 * * *')

  const schema = queueSchema(config.QUEUE_PREFIX)
  const tables = await sql<{
    n: number
  }>`select count(*)::int as n from information_schema.tables where table_schema = ${schema}`.execute(db)
  t.ok(tables.rows[0].n > 0, `the queues live in the schema ${schema} of the service's database`)
})

t.test('a queue made while PostgreSQL is unreachable works once it answers', async (t) => {
  const real = new URL((await build(t)).config.DATABASE_URL)
  const { createServer, connect } = await import('node:net')
  const { closedPort } = await import('../support/processes.js')
  const port = await closedPort()
  const viaProxy = new URL(real.toString())
  viaProxy.port = String(port)
  const config = testConfig(viaProxy.toString(), { TEST_QUEUE_BACKEND: 'postgres' })
  const backend = createQueueBackend(config)
  const queue = createScheduledJobsQueue(backend)
  t.teardown(async () => {
    await queue.close()
    await backend.close()
  })
  await t.rejects(backend.ping(), 'unreachable at first')

  const sockets = new Set<import('node:net').Socket>()
  const proxy = createServer((client) => {
    const upstream = connect(Number(real.port || 5432), real.hostname)
    sockets.add(client)
    sockets.add(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => proxy.close(resolve))
  })
  await waitUntil(
    async () =>
      await backend.ping().then(
        () => true,
        () => false
      ),
    10_000,
    'the queue backend answering'
  )
  const job = await queue.add('training-expiry-alerts', { name: 'training-expiry-alerts' })
  t.ok(job.id, 'and takes jobs')
})
