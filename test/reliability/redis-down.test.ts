import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { closedPort } from '../support/processes.js'
import { setUp, REDIS_PORT, NO_REDIS } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { startTestWorker } from '../support/worker.js'

t.test(
  'Redis down at intake: 201 at once, the acknowledgement goes out once Redis is reachable',
  { skip: NO_REDIS },
  async (t) => {
    const {
      app,
      config,
      db,
      tenant,
      tokens: { referrer },
      smtp
    } = await setUp(t, { smtp: true, env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` } })
    const programmeId = await tenant.programme()

    const timings: number[] = []
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const started = Date.now()
      const res = await app.inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: auth(referrer),
        payload: referralBody(programmeId, { referrer: { email: `redis.down${i}@school.example` } })
      })
      timings.push(Date.now() - started)
      t.equal(res.statusCode, 201, `referral ${i} accepted`)
      ids.push(res.json().id)
    }
    t.ok(Math.max(...timings) < 3000, `each answered in under 3 s (${timings.join(', ')} ms)`)
    t.comment(`intake with Redis down: ${timings.join(', ')} ms`)

    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    t.equal(ready.statusCode, 503, 'not ready while Redis is unreachable')

    const pending = await db.selectFrom('notifications').select(['status', 'enqueued_at']).execute()
    t.equal(pending.length, 3)
    t.ok(
      pending.every((n) => n.status === 'pending' && n.enqueued_at === null),
      'kept in the outbox, not enqueued'
    )

    // A worker against the real Redis and the same database: its relay finds the outbox rows.
    await startTestWorker(t, { ...config, REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}` })
    await smtp.waitFor(3, 20_000)
    await waitUntil(
      async () => {
        const rows = await db.selectFrom('referrals').select('status').where('id', 'in', ids).execute()
        return rows.every((r) => r.status === 'acknowledged')
      },
      10_000,
      'referrals acknowledged'
    )
    await new Promise((r) => setTimeout(r, 800)) // several relay rounds: none may send again
    t.equal(smtp.messages.length, 3, 'one email per referral')
    t.same(smtp.messages.map((m) => m.to[0]).sort(), [
      'redis.down0@school.example',
      'redis.down1@school.example',
      'redis.down2@school.example'
    ])
    const sent = await db.selectFrom('notifications').select(['status', 'attempts']).execute()
    t.ok(
      sent.every((n) => n.status === 'sent' && n.attempts === 1),
      'sent, one attempt each'
    )
  }
)
