import t from 'tap'
import { sql } from 'kysely'
import { referralBody } from '../support/bodies.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { startWebhookReceiver } from '../support/webhook-receiver.js'
import { startWorkerBehindProxy } from '../support/worker.js'

t.test(
  "the webhook relay's LISTEN connection frozen: it is noticed, made again, and events are delivered once each",
  async (t) => {
    const { app, config, db, tenant, tokens } = await setUp(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
    const { referrer } = tokens
    const integration = tenant.token('integration')
    const programmeId = await tenant.programme()
    const receiver = await startWebhookReceiver(t)
    const endpoint = await post(app, integration, '/v1/webhooks', { url: receiver.url, events: ['referral.created'] })
    receiver.secrets.push(endpoint.secret)

    // The worker reaches PostgreSQL through a proxy that can freeze one connection: the relay's LISTEN.
    // The poll is slow (10 s), so a delivery within a second or two was woken by NOTIFY.
    const { worker, proxy } = await startWorkerBehindProxy(t, config, {
      OUTBOX_POLL_MS: 10_000,
      DATABASE_QUERY_TIMEOUT_MS: 1500,
      LOG_LEVEL: 'info'
    })
    const listeners = async (): Promise<number[]> =>
      (
        await sql<{ client_port: number }>`
          select client_port from pg_stat_activity
          where datname = current_database() and application_name = 'waymark webhook relay'`.execute(db)
      ).rows.map((r) => r.client_port)
    await waitUntil(async () => (await listeners()).length === 1, 10_000, 'the relay listening')
    const [first] = await listeners()

    const deliver = async (n: number): Promise<number> => {
      const started = Date.now()
      await post(
        app,
        referrer,
        '/v1/referrals',
        referralBody(programmeId, { referrer: { email: `l${n}@school.example` } })
      )
      await receiver.waitFor(n, 20_000)
      return Date.now() - started
    }
    const before = await deliver(1)
    t.ok(before < 3000, `delivered ${before} ms after the change (woken by NOTIFY, not the 10 s poll)`)

    t.ok(proxy.freezeConnection(first), 'the LISTEN connection frozen')
    const frozenAt = Date.now()
    // Committed while nobody hears the NOTIFY: delivered all the same.
    const during = await deliver(2)
    t.comment(`an event committed just after the freeze was delivered after ${during} ms`)

    await waitUntil(async () => (await listeners()).some((p) => p !== first), 20_000, 'a new LISTEN connection')
    const relistened = Date.now()
    const lost = worker.logs
      .records()
      .find((r) => r.msg === 'webhook relay lost its LISTEN connection; polling meanwhile and connecting again')
    t.ok(lost, 'the lost connection is logged')
    const noticed = (lost?.time as number) - frozenAt
    t.ok(noticed < 5000 + 1500 + 1000, `noticed ${noticed} ms after the freeze (checked every 5 s, 1.5 s bound)`)
    t.ok(
      worker.logs.records().some((r) => r.msg === 'webhook relay listening again'),
      'listening again is logged'
    )

    const after = await deliver(3)
    t.ok(after < 3000, `delivered ${after} ms after the change once listening again`)
    t.comment(
      `LISTEN frozen: noticed after ${noticed} ms, listening again after ${relistened - frozenAt} ms; delivery after a change: ${before} ms before, ${during} ms during, ${after} ms after`
    )

    proxy.thaw()
    await new Promise((r) => setTimeout(r, 1500))
    t.equal(receiver.received.length, 3, 'each event delivered once')
    t.equal(new Set(receiver.received.map((r) => r.id)).size, 3)
    t.ok(
      receiver.received.every((r) => r.verified !== null),
      'all signed and verified'
    )
    const deliveries = await db.selectFrom('webhook_deliveries').select(['status', 'attempt']).execute()
    t.same(
      deliveries.map((d) => [d.status, d.attempt]),
      [
        ['succeeded', 1],
        ['succeeded', 1],
        ['succeeded', 1]
      ],
      'one attempt each'
    )
  }
)
