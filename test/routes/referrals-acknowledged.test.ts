import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { setUp } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'

t.test('acknowledged referrals', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { coordinator },
    smtp
  } = await setUp(t, { smtp: true, worker: true })
  const programme = await tenant.programme({})
  const referrer = tenant.token('referrer', { sub: 'referrer-ack' })

  const create = async (email: string): Promise<{ id: string; reference: string }> => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programme, { referrer: { email } })
    })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json()
  }
  const statusOf = async (id: string): Promise<string> =>
    (await app.inject({ method: 'GET', url: `/v1/referrals/${id}`, headers: auth(referrer) })).json().status
  const acknowledged = async (id: string): Promise<void> => {
    await waitUntil(async () => (await statusOf(id)) === 'acknowledged', 15_000, 'the acknowledgement')
  }

  t.test('the referrer is sent the reference and the referral becomes acknowledged', async (t) => {
    const r = await create('ack.one@school.example')
    await acknowledged(r.id)
    const mail = (await smtp.waitFor(1)).find((m) => m.to.includes('ack.one@school.example'))
    t.ok(mail, 'an acknowledgement reached the referrer')
    t.match(mail?.raw ?? '', r.reference)
    const history = (
      await app.inject({ method: 'GET', url: `/v1/referrals/${r.id}/history`, headers: auth(referrer) })
    ).json().data
    t.same(
      history.map((h: { to_status: string }) => h.to_status),
      ['submitted', 'acknowledged']
    )
    t.equal(history[1].from_status, 'submitted')
    const events = await db
      .selectFrom('audit_events')
      .select(['action', 'actor_id', 'actor_role'])
      .where('referral_id', '=', r.id)
      .where('actor_id', '=', 'system')
      .execute()
    t.same(
      events,
      [{ action: 'status_change', actor_id: 'system', actor_role: 'system' }],
      'the change by the sender is an access event'
    )
  })

  t.test('an acknowledged referral can still be updated by its referrer and screened by a coordinator', async (t) => {
    const r = await create('ack.two@school.example')
    await acknowledged(r.id)
    const patch = await app.inject({
      method: 'PATCH',
      url: `/v1/referrals/${r.id}`,
      headers: auth(referrer),
      payload: { other_services: ['School counsellor'] }
    })
    t.equal(patch.statusCode, 200, patch.body)
    t.equal(patch.json().status, 'acknowledged')
    const review = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${r.id}/start-review`,
      headers: auth(coordinator),
      payload: {}
    })
    t.equal(review.statusCode, 200, review.body)
    t.equal(review.json().status, 'under_review')

    const s = await create('ack.three@school.example')
    await acknowledged(s.id)
    for (const [action, payload, to] of [
      ['request-information', { questions: 'Any other services?' }, 'information_requested'],
      ['provide-information', { answers: 'None.' }, 'under_review'],
      ['accept', {}, 'accepted']
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/referrals/${s.id}/${action}`,
        headers: auth(coordinator),
        payload
      })
      t.equal(res.statusCode, 200, `${action}: ${res.body}`)
      t.equal(res.json().status, to)
    }

    const w = await create('ack.four@school.example')
    await acknowledged(w.id)
    const accepted = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${w.id}/accept`,
      headers: auth(coordinator),
      payload: {}
    })
    t.equal(accepted.statusCode, 200, 'accept straight from acknowledged')
  })

  t.test('a referral already moved on is not pulled back to acknowledged', async (t) => {
    // Declined at once: the acknowledgement still goes out, but the status stays declined.
    const r = await create('ack.five@school.example')
    const declined = await app.inject({
      method: 'POST',
      url: `/v1/referrals/${r.id}/decline`,
      headers: auth(coordinator),
      payload: { reason_code: 'ineligible' }
    })
    t.equal(declined.statusCode, 200, declined.body)
    await waitUntil(
      () => smtp.messages.some((m) => m.to.includes('ack.five@school.example') && m.raw.includes(r.reference)),
      15_000,
      'the acknowledgement'
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.equal(await statusOf(r.id), 'declined')
  })
})
