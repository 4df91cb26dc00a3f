import t from 'tap'
import type { Test } from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { todayLocal, waitUntil } from '../support/time.js'
import { runJob } from '../support/jobs.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { addMonths } from '../../src/lib/dates.js'
import { auth } from '../support/tokens.js'
import { post, send } from '../support/requests.js'
import { makeMatch } from '../support/matches.js'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js'

const QUICK = { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '0.3,0.3,0.3' }
const ALL = [
  'referral.created',
  'referral.status_changed',
  'match.created',
  'match.status_changed',
  'evaluation.completed',
  'mentor.clearance_changed'
]

async function opening(t: Test, env: Record<string, string> = {}) {
  const s = await setUp(t, { smtp: true, worker: true, env: { ...QUICK, ...env } })
  const receiver = await startWebhookReceiver(t)
  const integration = s.tenant.token('integration')
  const subscribe = async (events = ALL, r: WebhookReceiver = receiver): Promise<{ id: string; secret: string }> => {
    const created = await post(s.app, integration, '/v1/webhooks', { url: r.url, events })
    r.secrets.push(created.secret)
    return created
  }
  return { ...s, receiver, integration, subscribe }
}

const deliveries = async (app: any, token: string, id: string): Promise<any[]> =>
  (await send(app, token, 'GET', `/v1/webhooks/${id}/deliveries`, undefined, 200)).data

t.test(
  'a referral submitted and moved on: thin, signed events, each verified by the standardwebhooks library',
  async (t) => {
    const {
      app,
      db,
      tenant,
      tokens: { referrer, coordinator },
      receiver,
      integration,
      subscribe
    } = await opening(t)
    const programmeId = await tenant.programme()
    const endpoint = await subscribe()
    const referral = await post(app, referrer, '/v1/referrals', referralBody(programmeId))
    // created, then acknowledged (by the worker once the email went), then accepted
    await receiver.waitFor(2)
    await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
    const got = await receiver.waitFor(3)
    const types = got.map((g) => `${g.verified?.type ?? '?'}:${String(g.verified?.data.status)}`)
    t.ok(
      got.every((g) => g.verified !== null),
      'every request verifies with the endpoint secret'
    )
    t.same(
      types.sort(),
      ['referral.created:submitted', 'referral.status_changed:accepted', 'referral.status_changed:acknowledged'].sort()
    )
    const created = got.find((g) => g.verified?.type === 'referral.created')
    t.same(created?.verified?.data, {
      id: referral.id,
      reference: referral.reference,
      status: 'submitted',
      programme_id: programmeId
    })
    const accepted = got.find((g) => g.verified?.data.status === 'accepted')
    t.equal(accepted?.verified?.data.previous_status !== undefined, true, 'previous_status named')
    for (const g of got) {
      t.notMatch(g.body, /Amara|Okonkwo|2012-03-14|BR1|sam\.teacher/, 'no personal details in the payload')
      t.match(g.signature, /^v1,[A-Za-z0-9+/=]+$/, 'one v1 signature')
    }
    const log = await deliveries(app, integration, endpoint.id)
    t.equal(log.length, 3)
    t.ok(
      log.every(
        (d) => d.status === 'succeeded' && d.attempt === 1 && d.response_status === 200 && d.next_attempt_at === null
      )
    )
    t.same(log.map((d) => d.event_id).sort(), got.map((g) => g.id).sort(), "webhook-id is the delivery's event_id")
    t.equal(
      (await db.selectFrom('webhook_deliveries').select('id').execute()).length,
      3,
      'one delivery per event and endpoint'
    )
  }
)

t.test(
  'a refused change emits nothing; an unsubscribed type is not sent; two endpoints get one delivery each',
  async (t) => {
    const {
      app,
      db,
      tenant,
      tokens: { referrer, coordinator },
      receiver,
      subscribe
    } = await opening(t)
    const programmeId = await tenant.programme({ quotas: { per_referrer: 1 } })
    const other = await startWebhookReceiver(t)
    await subscribe(['referral.status_changed'])
    await subscribe(['referral.status_changed'], other)
    const referral = await post(app, referrer, '/v1/referrals', referralBody(programmeId))
    await receiver.waitFor(1) // acknowledged
    // Refused: quota (409), an invalid transition (409), schema (400): no event for any
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programmeId)
    })
    t.equal(refused.statusCode, 409)
    const invalid = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${referral.id as string}/provide-information`,
      headers: auth(coordinator),
      payload: { answers: 'x' }
    })
    t.equal(invalid.statusCode, 409)
    await new Promise((r) => setTimeout(r, 1000))
    t.equal(receiver.received.length, 1, 'only the acknowledgement')
    t.equal(other.received.length, 1)
    t.equal(receiver.received[0].id, other.received[0].id, 'the same event id to both endpoints')
    t.equal((await db.selectFrom('webhook_events').select('id').execute()).length, 1, 'one event recorded')
  }
)

t.test(
  'retries: a failing receiver gets the same webhook-id, freshly signed, until it answers 2xx; exhausted after the schedule',
  async (t) => {
    const {
      app,
      tenant,
      tokens: { referrer },
      receiver,
      integration,
      subscribe
    } = await opening(t)
    const programmeId = await tenant.programme()
    const endpoint = await subscribe(['referral.created'])
    receiver.plan = [500, 503]
    await post(app, referrer, '/v1/referrals', referralBody(programmeId))
    const got = await receiver.waitFor(3)
    t.equal(new Set(got.map((g) => g.id)).size, 1, 'one webhook-id over every attempt')
    t.ok(
      got.every((g) => g.verified !== null),
      'every attempt verifies'
    )
    await waitUntil(
      async () => (await deliveries(app, integration, endpoint.id))[0]?.status === 'succeeded',
      5000,
      'succeeded'
    )
    const [d] = await deliveries(app, integration, endpoint.id)
    t.equal(d.attempt, 3)
    t.equal(d.response_status, 200)
    t.ok(got[1].at - got[0].at >= 250, `retried after the schedule's delay (${got[1].at - got[0].at} ms)`)

    receiver.status = 500
    await post(
      app,
      referrer,
      '/v1/referrals',
      referralBody(programmeId, { referrer: { email: 'other@school.example' } })
    )
    await receiver.waitFor(3 + 4)
    await waitUntil(
      async () => (await deliveries(app, integration, endpoint.id))[0]?.status === 'exhausted',
      5000,
      'exhausted'
    )
    const [e] = await deliveries(app, integration, endpoint.id)
    t.equal(e.attempt, 4, 'the first attempt and three retries')
    t.equal(e.response_status, 500)
    t.equal(e.next_attempt_at, null)
    await new Promise((r) => setTimeout(r, 800))
    t.equal(receiver.received.length, 7, 'nothing after exhaustion')

    // A manual redelivery sends it once more, now, with the same webhook-id.
    receiver.status = 200
    const again = await post(
      app,
      integration,
      `/v1/webhooks/${endpoint.id}/deliveries/${e.id as string}/retry`,
      {},
      202
    )
    t.equal(again.status, 'pending')
    await receiver.waitFor(8)
    t.equal(receiver.received[7].id, e.event_id)
    await waitUntil(
      async () => (await deliveries(app, integration, endpoint.id))[0]?.status === 'succeeded',
      5000,
      'redelivered'
    )
  }
)

t.test('410 disables the endpoint at once, with no retry, and tells the admins', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer, admin },
    receiver,
    integration,
    subscribe,
    smtp
  } = await opening(t)
  await post(app, admin, '/v1/users', { email: 'webhook.admin@council.example', name: 'An Admin', roles: ['admin'] })
  const programmeId = await tenant.programme()
  const endpoint = await subscribe(['referral.created'])
  receiver.status = 410
  await post(app, referrer, '/v1/referrals', referralBody(programmeId))
  await receiver.waitFor(1)
  await waitUntil(
    async () => (await send(app, integration, 'GET', `/v1/webhooks/${endpoint.id}`, undefined, 200)).enabled === false,
    5000,
    'disabled'
  )
  const hook = await send(app, integration, 'GET', `/v1/webhooks/${endpoint.id}`, undefined, 200)
  t.equal(hook.disabled_reason, 'gone')
  const [d] = await deliveries(app, integration, endpoint.id)
  t.match(d, { status: 'failed', attempt: 1, response_status: 410, next_attempt_at: null })
  const mail = await smtp.waitFor(2) // the referrer's acknowledgement and the admin's alert
  const alert = mail.find((m) => m.to.includes('webhook.admin@council.example'))
  t.match(alert?.subject, /Webhook endpoint disabled: 127\.0\.0\.1/)
  t.notMatch(alert?.text ?? '', /\/hooks/, 'the alert names the host, not the URL')
  await post(
    app,
    referrer,
    '/v1/referrals',
    referralBody(programmeId, { referrer: { email: 'second@school.example' } })
  )
  await new Promise((r) => setTimeout(r, 1000))
  t.equal(receiver.received.length, 1, 'a disabled endpoint receives nothing more')
})

t.test('an endpoint failing every delivery for five days is disabled and the admins are emailed', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { referrer, admin },
    receiver,
    integration,
    subscribe,
    smtp
  } = await opening(t, { WEBHOOK_RETRY_SCHEDULE: '60' })
  await post(app, admin, '/v1/users', { email: 'ops.admin@council.example', name: 'Ops Admin', roles: ['admin'] })
  const programmeId = await tenant.programme()
  const endpoint = await subscribe(['referral.created'])
  receiver.status = 500
  await post(app, referrer, '/v1/referrals', referralBody(programmeId))
  await receiver.waitFor(1)
  await waitUntil(
    async () => (await deliveries(app, integration, endpoint.id))[0]?.status === 'failed',
    5000,
    'failed once'
  )
  let hook = await send(app, integration, 'GET', `/v1/webhooks/${endpoint.id}`, undefined, 200)
  t.equal(hook.enabled, true, 'one failure does not disable')
  t.not(hook.failing_since, null)
  // Four days and 23 hours of failures: still enabled after another failure.
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: new Date(Date.now() - (5 * 86_400_000 - 3_600_000)) })
    .execute()
  await post(app, referrer, '/v1/referrals', referralBody(programmeId, { referrer: { email: 'b@school.example' } }))
  await receiver.waitFor(2)
  await new Promise((r) => setTimeout(r, 300))
  t.equal((await send(app, integration, 'GET', `/v1/webhooks/${endpoint.id}`, undefined, 200)).enabled, true)
  // Past five days: the next failure disables it.
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: new Date(Date.now() - 5 * 86_400_000 - 60_000) })
    .execute()
  await post(app, referrer, '/v1/referrals', referralBody(programmeId, { referrer: { email: 'c@school.example' } }))
  await receiver.waitFor(3)
  await waitUntil(
    async () => (await send(app, integration, 'GET', `/v1/webhooks/${endpoint.id}`, undefined, 200)).enabled === false,
    5000,
    'disabled'
  )
  hook = await send(app, integration, 'GET', `/v1/webhooks/${endpoint.id}`, undefined, 200)
  t.equal(hook.disabled_reason, 'failing')
  await smtp.waitFor(4)
  t.ok(
    smtp.messages.some((m) => m.to.includes('ops.admin@council.example') && /five days/.test(m.text)),
    'the admin is told'
  )
  // A success after enabling again ends the run.
  receiver.status = 200
  const enabled = await send(app, integration, 'PATCH', `/v1/webhooks/${endpoint.id}`, { enabled: true }, 200)
  t.match(enabled, { enabled: true, disabled_reason: null, failing_since: null })
})

t.test('rotation: for 24 hours two signatures, either secret verifies', async (t) => {
  const {
    app,
    tenant,
    tokens: { referrer },
    receiver,
    integration,
    subscribe
  } = await opening(t)
  const programmeId = await tenant.programme()
  const endpoint = await subscribe(['referral.created'])
  const rotated = await post(app, integration, `/v1/webhooks/${endpoint.id}/rotate-secret`, {}, 200)
  t.match(rotated.secret, /^whsec_/)
  t.not(rotated.secret, endpoint.secret)
  t.ok(
    Math.abs(Date.parse(rotated.previous_secret_expires_at) - Date.now() - 86_400_000) < 60_000,
    'the old secret signs for 24 hours'
  )
  receiver.secrets.push(rotated.secret)
  await post(app, referrer, '/v1/referrals', referralBody(programmeId))
  const [got] = await receiver.waitFor(1)
  t.equal(got.signature.split(' ').length, 2, 'two signatures, space-separated')
  t.same(got.verifiedBy, [0, 1], 'the old secret and the new one each verify it')
  const given = 'whsec_' + Buffer.alloc(32, 7).toString('base64')
  const third = await post(app, integration, `/v1/webhooks/${endpoint.id}/rotate-secret`, { secret: given }, 200)
  t.equal(third.secret, given, 'a secret the client chose')
  const bad = await app.inject({
    method: 'POST',
    url: `/v1/webhooks/${endpoint.id}/rotate-secret`,
    headers: auth(integration),
    payload: { secret: 'not-a-secret' }
  })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().errors, [{ path: 'body/secret' }])
  t.notOk(
    'secret' in (await send(app, integration, 'GET', `/v1/webhooks/${endpoint.id}`, undefined, 200)),
    'never shown again'
  )
})

t.test('ping goes to that endpoint whatever its events; match, mentor and evaluation events', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator },
    receiver,
    integration,
    subscribe
  } = await opening(t)
  const programmeId = await tenant.programme()
  const only = await subscribe(['evaluation.completed'])
  const ping = await post(app, integration, `/v1/webhooks/${only.id}/ping`, {}, 202)
  t.equal(ping.event_type, 'webhook.ping')
  const [p] = await receiver.waitFor(1)
  t.equal(p.verified?.type, 'webhook.ping')
  t.equal(p.id, ping.event_id)

  const all = await startWebhookReceiver(t)
  await subscribe(['match.created', 'match.status_changed', 'mentor.clearance_changed'], all)
  const match = await makeMatch(app, coordinator, programmeId, { activate: true })
  const mentorId = match.mentorId
  await all.waitFor(3)
  const seen = all.received.map(
    (g) => `${g.verified?.type ?? '?'}:${String(g.verified?.data.status)}:${String(g.verified?.data.cleared)}`
  )
  t.ok(seen.includes('mentor.clearance_changed:approved:true'), `a mentor approved is cleared (${seen.join(' ')})`)
  t.ok(seen.includes('match.created:proposed:undefined'))
  t.ok(seen.includes('match.status_changed:active:undefined'))
  const created = all.received.find((g) => g.verified?.type === 'match.created')
  t.equal(created?.verified?.data.id, match.matchId)
  t.equal(created?.verified?.data.reference, match.reference)
  await post(app, coordinator, `/v1/mentors/${mentorId}/suspend`, { reason: 'a check' }, 200)
  await waitUntil(
    () =>
      all.received.some(
        (g) =>
          g.verified?.type === 'mentor.clearance_changed' &&
          g.verified.data.cleared === false &&
          g.verified.data.id === mentorId
      ),
    5000,
    'clearance lost'
  )
})

t.test('clearance that lapses with time alone is announced by the daily expiry job, once', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator, admin },
    receiver,
    subscribe
  } = await opening(t)
  const programmeId = await tenant.programme()
  await subscribe(['mentor.clearance_changed'])
  const mentorId = await recentlyVettedMentor(app, coordinator, [programmeId])
  await receiver.waitFor(1)
  t.equal(receiver.received[0].verified?.data.cleared, true, 'approved: cleared')
  // Five years on, training and DBS have lapsed with nothing recorded in between.
  const later = addMonths(todayLocal(), 60)
  const run = await runJob(app, admin, 'training-expiry-alerts', later)
  t.equal(run.counts.clearance_changes, 1)
  const [, lapsed] = await receiver.waitFor(2)
  t.same(lapsed.verified?.data, { id: mentorId, status: 'approved', cleared: false })
  const again = await runJob(app, admin, 'dbs-renewal-alerts', later)
  t.equal(again.counts.clearance_changes, 0, 'announced once, whichever job sees it next')
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.equal(receiver.received.length, 2)
})
