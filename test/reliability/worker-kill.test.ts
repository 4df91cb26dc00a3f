import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { queueEnv, serviceEnv, spawnService } from '../support/processes.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'

const REFERRALS = 30

t.test('a worker killed mid-batch: every referral acknowledged exactly once', async (t) => {
  const {
    app,
    config,
    db,
    tenant,
    tokens: { referrer },
    smtp
  } = await setUp(t, { smtp: { delayMs: 200 } })
  const programmeId = await tenant.programme()

  const ids: string[] = []
  for (let i = 0; i < REFERRALS; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId, { referrer: { email: `kill${i}@school.example` } })
    })
    if (res.statusCode !== 201) throw new Error(res.body)
    ids.push(res.json().id)
  }

  const env = serviceEnv(
    { databaseUrl: config.DATABASE_URL, smtpUrl: smtp.url },
    {
      ...queueEnv(config),
      WORKER_CONCURRENCY: '4',
      WORKER_LOCK_MS: '1000',
      NOTIFICATION_BACKOFF_MS: '100'
    }
  )
  const first = spawnService(t, 'worker', env)
  await first.waitForLine(/waymark ready/, 30_000)
  await smtp.waitFor(6, 30_000)
  // Kill with messages in flight: the listener holds its replies, so the worker is mid-send on
  // several messages, and has committed every message the listener accepted.
  smtp.pause()
  await waitUntil(() => smtp.held() >= 2, 10_000, 'messages in flight')
  await new Promise((r) => setTimeout(r, 400))
  const acceptedBeforeKill = smtp.messages.length
  const inFlight = smtp.held()
  first.proc.kill('SIGKILL')
  const ended = await first.exited
  t.equal(ended.signal, 'SIGKILL')
  // Let the listener see the dropped connections; the replies it then releases go nowhere, so
  // those messages were never accepted and must be sent again.
  await new Promise((r) => setTimeout(r, 500))
  smtp.resume()

  const sentBeforeRestart = await db.selectFrom('notifications').select('id').where('status', '=', 'sent').execute()
  t.equal(sentBeforeRestart.length, acceptedBeforeKill, 'what the listener accepted is exactly what is marked sent')
  t.ok(
    acceptedBeforeKill < REFERRALS,
    `killed part way (${acceptedBeforeKill} of ${REFERRALS} sent, ${inFlight} in flight)`
  )
  t.comment(`killed after ${acceptedBeforeKill} sent with ${inFlight} in flight`)

  const second = spawnService(t, 'worker', env)
  await second.waitForLine(/waymark ready/, 30_000)
  await smtp.waitFor(REFERRALS, 45_000)
  await waitUntil(
    async () => {
      const rows = await db.selectFrom('referrals').select('status').where('id', 'in', ids).execute()
      return rows.every((r) => r.status === 'acknowledged')
    },
    15_000,
    'every referral acknowledged'
  )
  await new Promise((r) => setTimeout(r, 1500)) // a late duplicate would arrive by now

  const perRecipient = new Map<string, number>()
  for (const m of smtp.messages) perRecipient.set(m.to[0], (perRecipient.get(m.to[0]) ?? 0) + 1)
  const missing = ids.map((_id, i) => `kill${i}@school.example`).filter((a) => !perRecipient.has(a))
  const doubled = [...perRecipient].filter(([, n]) => n > 1).map(([a]) => a)
  t.same(missing, [], 'none missing')
  t.same(doubled, [], 'none doubled')
  t.equal(smtp.messages.length, REFERRALS, 'one email per referral')
  t.equal(new Set(smtp.messages.map((m) => m.messageId)).size, REFERRALS, 'one Message-ID each')

  const notifications = await db.selectFrom('notifications').select(['status', 'subject_id']).execute()
  t.ok(
    notifications.every((n) => n.status === 'sent'),
    'every notification sent'
  )
  const acks = await db
    .selectFrom('referral_status_history')
    .select('referral_id')
    .where('to_status', '=', 'acknowledged')
    .execute()
  t.equal(acks.length, REFERRALS, 'one acknowledgement in each history')
  t.equal(new Set(acks.map((a) => a.referral_id)).size, REFERRALS)
  second.proc.kill('SIGTERM')
  t.equal((await second.exited).code, 0, 'the second worker shuts down cleanly')
})
