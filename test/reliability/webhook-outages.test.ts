import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { closedPort, queueEnv, serviceEnv, spawnService } from '../support/processes.js'
import { setUp, NO_REDIS } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { post } from '../support/requests.js'
import { startTestWorker } from '../support/worker.js'
import { startWebhookReceiver } from '../support/webhook-receiver.js'
import pino from 'pino'
import { createQueueBackend } from '../../src/jobs/queue-backend.js'
import { createWebhooksQueue } from '../../src/jobs/queues.js'
import { startWebhookRelay } from '../../src/jobs/webhook-relay.js'

t.test(
  'a worker killed mid-delivery: the event is delivered again by the next worker, with the same webhook-id',
  async (t) => {
    const {
      app,
      config,
      db,
      tenant,
      tokens: { referrer },
      smtp
    } = await setUp(t, { smtp: true, env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
    const integration = tenant.token('integration')
    const programmeId = await tenant.programme()
    const receiver = await startWebhookReceiver(t)
    const endpoint = await post(app, integration, '/v1/webhooks', { url: receiver.url, events: ['referral.created'] })
    receiver.secrets.push(endpoint.secret)
    receiver.hang = true
    await post(app, referrer, '/v1/referrals', referralBody(programmeId))

    const env = serviceEnv(
      { databaseUrl: config.DATABASE_URL, smtpUrl: smtp.url },
      {
        ...queueEnv(config),
        WORKER_LOCK_MS: '1000',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_TIMEOUT_MS: '30000'
      }
    )
    const first = spawnService(t, 'worker', env)
    await receiver.waitFor(1, 30_000)
    first.proc.kill('SIGKILL')
    t.equal((await first.exited).signal, 'SIGKILL', 'killed while the receiver held the request')
    const [held] = receiver.received
    t.not(held.verified, null)
    await waitUntil(
      async () => (await db.selectFrom('webhook_deliveries').select('attempt').executeTakeFirstOrThrow()).attempt === 0,
      5000,
      'the attempt rolled back'
    )

    receiver.hang = false
    const second = spawnService(t, 'worker', env)
    await receiver.waitFor(2, 30_000)
    await waitUntil(
      async () =>
        (await db.selectFrom('webhook_deliveries').select('status').executeTakeFirstOrThrow()).status === 'succeeded',
      10_000,
      'delivered'
    )
    const d = await db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow()
    t.equal(d.attempt, 1, 'one attempt recorded: the killed one never completed')
    t.equal(receiver.received[1].id, held.id, 'the same webhook-id')
    t.not(receiver.received[1].verified, null, 'freshly signed and verified')
    await new Promise((r) => setTimeout(r, 1000))
    t.equal(receiver.received.length, 2, 'not sent again once delivered')
    second.proc.kill('SIGTERM')
    await second.exited
  }
)

t.test(
  'Redis down: changes still commit, and every event is delivered once the queue is back',
  { skip: NO_REDIS },
  async (t) => {
    const {
      app,
      config,
      db,
      tenant,
      tokens: { referrer }
    } = await setUp(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
    const integration = tenant.token('integration')
    const programmeId = await tenant.programme()
    const receiver = await startWebhookReceiver(t)
    const endpoint = await post(app, integration, '/v1/webhooks', { url: receiver.url, events: ['referral.created'] })
    receiver.secrets.push(endpoint.secret)
    // The relay of a worker whose Redis is unreachable: it cannot queue anything, so nothing is marked queued.
    const backend = createQueueBackend({ ...config, REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })
    const relay = startWebhookRelay(db, createWebhooksQueue(backend), pino({ level: 'silent' }), {
      databaseUrl: config.DATABASE_URL,
      intervalMs: 100,
      reclaimMs: 60_000
    })
    for (let i = 0; i < 5; i++)
      await post(
        app,
        referrer,
        '/v1/referrals',
        referralBody(programmeId, { referrer: { email: `down${i}@school.example` } })
      )
    await new Promise((r) => setTimeout(r, 2500))
    const waiting = await db.selectFrom('webhook_deliveries').select(['status', 'enqueued_at']).execute()
    t.equal(waiting.length, 5)
    t.ok(
      waiting.every((w) => w.status === 'pending' && w.enqueued_at === null),
      'kept due in PostgreSQL, not marked queued'
    )
    t.equal(receiver.received.length, 0)
    await relay.stop()
    await backend.close()
    await startTestWorker(t, config)
    await receiver.waitFor(5, 20_000)
    await new Promise((r) => setTimeout(r, 1000))
    t.equal(receiver.received.length, 5, 'each delivered once')
    t.equal(new Set(receiver.received.map((r) => r.id)).size, 5)
    t.ok(receiver.received.every((r) => r.verified !== null))
  }
)

t.test('on the PostgreSQL queue backend too', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer },
    worker
  } = await setUp(t, { worker: true, env: { WEBHOOK_ALLOW_PRIVATE: 'true', TEST_QUEUE_BACKEND: 'postgres' } })
  t.ok(worker)
  const integration = tenant.token('integration')
  const programmeId = await tenant.programme()
  const receiver = await startWebhookReceiver(t)
  const endpoint = await post(app, integration, '/v1/webhooks', { url: receiver.url, events: ['referral.created'] })
  receiver.secrets.push(endpoint.secret)
  receiver.plan = [500]
  await post(app, referrer, '/v1/referrals', referralBody(programmeId))
  const got = await receiver.waitFor(2, 30_000)
  t.equal(got[0].id, got[1].id, 'retried with the same webhook-id')
  t.ok(got.every((g) => g.verified?.type === 'referral.created'))
})
