import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { startTestWorker } from '../support/worker.js'

const MAIL_FROM = 'Bromley Mentoring <mentoring@bromley.example>'

t.test('a referral is acknowledged to its referrer, once, by email', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { referrer, coordinator },
    smtp
  } = await setUp(t, { smtp: true, worker: true, env: { MAIL_FROM } })
  const programmeId = await tenant.programme()

  const res = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(referrer),
    payload: referralBody(programmeId, { referrer: { email: 'ack.one@school.example' } })
  })
  t.equal(res.statusCode, 201, res.body)
  const referral = res.json()

  await waitUntil(
    async () => (await statusOf(app, referrer, referral.id)) === 'acknowledged',
    10_000,
    'acknowledgement'
  )
  await new Promise((r) => setTimeout(r, 300)) // a second send, if there were one, would arrive by now
  t.equal(smtp.messages.length, 1, 'exactly one email')
  const mail = smtp.messages[0]
  t.same(mail.to, ['ack.one@school.example'], 'to the referrer')
  t.equal(mail.envelopeFrom, 'mentoring@bromley.example')
  t.equal(mail.from, MAIL_FROM, 'From is MAIL_FROM')
  t.ok(mail.subject.includes(referral.reference), `subject quotes the reference: ${mail.subject}`)
  t.ok(mail.text.includes(`its reference is ${referral.reference}`), 'body quotes the reference')

  const n = await db.selectFrom('notifications').selectAll().where('subject_id', '=', referral.id).execute()
  t.equal(n.length, 1)
  t.equal(n[0].status, 'sent')
  t.equal(n[0].attempts, 1)
  t.equal(n[0].provider, 'smtp')
  t.equal(mail.messageId, `<${n[0].id}@waymark>`, 'a stable Message-ID derived from the notification')

  const listed = await app.inject({
    method: 'GET',
    url: `/v1/notifications?subject_id=${referral.id}`,
    headers: auth(coordinator)
  })
  t.equal(listed.statusCode, 200, listed.body)
  t.match(listed.json().data, [{ kind: 'referral_acknowledgement', status: 'sent', attempts: 1 }])

  const history = await app.inject({
    method: 'GET',
    url: `/v1/referrals/${referral.id}/history`,
    headers: auth(referrer)
  })
  const steps = history.json().data.map((h: any) => `${h.from_status}->${h.to_status}:${h.actor_role}`)
  t.same(steps, ['null->submitted:referrer', 'submitted->acknowledged:system'])
  t.equal(history.json().data[1].actor_id, 'system')
})

t.test('requests for information and declines reach the referrer once each', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer, coordinator },
    smtp
  } = await setUp(t, { smtp: true, worker: true })
  const programmeId = await tenant.programme()

  const created = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(referrer),
    payload: referralBody(programmeId, { referrer: { email: 'asks@school.example' } })
  })
  t.equal(created.statusCode, 201, created.body)
  const { id, reference } = created.json()
  await smtp.waitFor(1)

  const asked = await app.inject({
    method: 'POST',
    url: `/v1/referrals/${id}/request-information`,
    headers: auth(coordinator),
    payload: { questions: 'Which days suit the young person best?' }
  })
  t.equal(asked.statusCode, 200, asked.body)
  await smtp.waitFor(2)
  const declined = await app.inject({
    method: 'POST',
    url: `/v1/referrals/${id}/decline`,
    headers: auth(coordinator),
    payload: { reason_code: 'no_mentor_available' }
  })
  t.equal(declined.statusCode, 200, declined.body)
  await smtp.waitFor(3)
  await new Promise((r) => setTimeout(r, 300))

  t.equal(smtp.messages.length, 3, smtp.messages.map((m) => m.subject).join(' | '))
  t.ok(
    smtp.messages.every((m) => m.to.length === 1 && m.to[0] === 'asks@school.example'),
    'all to the referrer'
  )
  const subjects = smtp.messages.map((m) => m.subject)
  t.same(subjects, [
    `Referral ${reference} received`,
    `Referral ${reference}: more information needed`,
    `Referral ${reference} declined`
  ])
  t.ok(smtp.messages[1].text.includes('Which days suit the young person best?'), 'the questions are in the email')
  t.equal(new Set(smtp.messages.map((m) => m.messageId)).size, 3, 'each message has its own Message-ID')
  t.equal(await statusOf(app, referrer, id), 'declined', 'the acknowledgement did not move a declined referral')
})

t.test('a temporary SMTP failure is retried with backoff and delivered once', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { referrer },
    smtp,
    worker
  } = await setUp(t, {
    smtp: { failTimes: 2 },
    worker: { LOG_LEVEL: 'debug' },
    env: { NOTIFICATION_BACKOFF_MS: '200' }
  })
  const programmeId = await tenant.programme()

  const created = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(referrer),
    payload: referralBody(programmeId, { referrer: { email: 'retry@school.example' } })
  })
  t.equal(created.statusCode, 201, created.body)
  const { id } = created.json()

  const started = Date.now()
  await waitUntil(
    async () => (await statusOf(app, referrer, id)) === 'acknowledged',
    15_000,
    'acknowledgement after retries'
  )
  const took = Date.now() - started
  await new Promise((r) => setTimeout(r, 300))
  t.equal(smtp.refused(), 2, 'two attempts refused')
  t.equal(smtp.messages.length, 1, 'delivered exactly once')
  // Backoff 200 ms then 400 ms: at least 600 ms between first try and delivery.
  t.ok(took >= 550, `waited for the backoff (${took} ms)`)
  const n = await db.selectFrom('notifications').selectAll().where('subject_id', '=', id).executeTakeFirstOrThrow()
  t.equal(n.status, 'sent')
  t.equal(n.attempts, 3, 'every attempt recorded')
  t.equal(n.last_error, null, 'the error clears once sent')
  t.same(
    smtp.arrivals,
    Array.from({ length: 3 }, () => `<${n.id}@waymark>`),
    'every attempt carries the same Message-ID'
  )
  t.notOk(worker.logs.text().includes('retry@school.example'), 'the refusal quoting the address is not logged as is')
  t.ok(worker.logs.text().includes('notification job failed'), 'the failures are logged')
})

for (const failCode of [550, 554, 500])
  t.test(`a permanent SMTP refusal (${failCode}) is tried once and recorded failed`, async (t) => {
    const {
      app,
      db,
      tenant,
      tokens: { referrer, coordinator },
      smtp
    } = await setUp(t, { smtp: { failTimes: 100, failCode }, worker: true, env: { NOTIFICATION_BACKOFF_MS: '50' } })
    const programmeId = await tenant.programme()

    const created = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId, { referrer: { email: 'nobody@school.example' } })
    })
    const { id } = created.json()
    await waitUntil(
      async () => {
        const n = await db.selectFrom('notifications').select('status').where('subject_id', '=', id).executeTakeFirst()
        return n?.status === 'failed'
      },
      10_000,
      'the notification to fail'
    )
    await new Promise((r) => setTimeout(r, 500))
    t.equal(smtp.refused(), 1, 'tried once: a 5xx is permanent')
    t.equal(smtp.messages.length, 0)
    const listed = await app.inject({
      method: 'GET',
      url: `/v1/notifications?subject_id=${id}&status=failed`,
      headers: auth(coordinator)
    })
    t.equal(listed.statusCode, 200, listed.body)
    const [n] = listed.json().data
    t.equal(n.attempts, 1)
    t.match(n.last_error, new RegExp(`permanently \\(${failCode}\\)`), 'last_error says why')
    t.equal(await statusOf(app, referrer, id), 'submitted', 'not acknowledged: nothing reached the referrer')
  })

t.test('duplicate jobs and two workers still send one email', async (t) => {
  const {
    app,
    config,
    db,
    tenant,
    tokens: { referrer },
    smtp
  } = await setUp(t, { smtp: { delayMs: 150 }, worker: true })
  await startTestWorker(t, config)
  const programmeId = await tenant.programme()

  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId, { referrer: { email: `dup${i}@school.example` } })
    })
    t.equal(res.statusCode, 201, res.body)
    ids.push(res.json().id)
  }
  const rows = await db.selectFrom('notifications').select(['id', 'subject_id']).execute()
  t.equal(rows.length, 5)
  // The same notification under other job ids, several times over, while the first jobs run.
  await app.queues.notifications.addBulk(
    rows.flatMap((r) =>
      [1, 2, 3].map((k) => ({ name: 'send', data: { notification_id: r.id }, opts: { jobId: `${r.id}-copy${k}` } }))
    )
  )
  await waitUntil(
    async () => {
      const sent = await db.selectFrom('notifications').select('id').where('status', '=', 'sent').execute()
      return sent.length === 5
    },
    15_000,
    'all five sent'
  )
  // Once sent, another copy is harmless too.
  await app.queues.notifications.addBulk(
    rows.map((r) => ({ name: 'send', data: { notification_id: r.id }, opts: { jobId: `${r.id}-late` } }))
  )
  await waitUntil(
    async () => (await app.queues.notifications.getJobCounts('wait', 'active')).wait === 0,
    5000,
    'copies processed'
  )
  await new Promise((r) => setTimeout(r, 500))

  t.equal(smtp.messages.length, 5, 'one email per referral')
  t.equal(new Set(smtp.messages.map((m) => m.to[0])).size, 5)
  t.equal(new Set(smtp.messages.map((m) => m.messageId)).size, 5)
  const history = await db
    .selectFrom('referral_status_history')
    .select(['referral_id'])
    .where('to_status', '=', 'acknowledged')
    .execute()
  t.equal(history.length, 5, 'each referral acknowledged once in its history')
  const attempts = await db.selectFrom('notifications').select('attempts').execute()
  t.ok(
    attempts.every((a) => a.attempts === 1),
    'one attempt each'
  )
})

async function statusOf(app: FastifyInstance, token: string, id: string): Promise<string> {
  const res = await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(token) })
  return res.json().status as string
}
