import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { addCoordinator, createTenant } from '../support/tenants.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'

t.test('safeguarding concerns', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t)
  await addCoordinator(app, admin, 'lead.one@council.example')
  await addCoordinator(app, admin, 'lead.two@council.example')
  const programmeId = await tenant.programme()
  const mentorId = await recentlyVettedMentor(app, coordinator, [programmeId])
  const mentor = tenant.token('mentor', { mentorId })
  const referrer = tenant.token('referrer', { sub: 'referrer-concerns' })
  const referral = await post(app, referrer, '/v1/referrals', referralBody(programmeId), 201)
  await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
  const match = await post(
    app,
    coordinator,
    '/v1/matches',
    {
      referral_id: referral.id,
      mentor_id: mentorId,
      introduction: { scheduled_at: '2026-12-01T16:00:00Z', location: 'School' }
    },
    201
  )
  const description = 'Amara said someone at home has been hitting her brother.'

  t.test(
    'a mentor raises one about its match; every coordinator is alerted at once, ahead of other mail',
    async (t) => {
      const concern = await post(
        app,
        mentor,
        '/v1/safeguarding-concerns',
        { match_id: match.id, category: 'disclosure', description, occurred_on: todayLocal(), immediate_risk: true },
        201
      )
      t.equal(concern.referral_id, referral.id)
      t.equal(concern.raised_role, 'mentor')
      const rows = await db
        .selectFrom('notifications')
        .select(['id', 'recipient', 'subject', 'body'])
        .where('kind', '=', 'safeguarding_concern')
        .execute()
      t.same(rows.map((r) => r.recipient).sort(), ['lead.one@council.example', 'lead.two@council.example'])
      t.ok(rows.every((r) => r.subject.includes(referral.reference as string) && r.subject.startsWith('URGENT')))
      t.ok(
        rows.every((r) => !r.body.includes('Amara') && !r.body.includes('hitting')),
        'the alert quotes the reference, never the details'
      )
      for (const r of rows) {
        const job = await app.queues.notifications.getJob(r.id)
        t.equal(job?.opts.priority, 1, 'queued with the highest priority')
      }
    }
  )

  t.test('who may raise about what', async (t) => {
    const otherMentor = tenant.token('mentor', { mentorId: referral.id })
    const res = await app.inject({
      method: 'POST',
      url: '/v1/safeguarding-concerns',
      headers: auth(otherMentor),
      payload: { match_id: match.id, category: 'other', description: 'x' }
    })
    t.equal(res.statusCode, 422)
    t.equal(res.json().code, 'unknown_reference')
    t.equal(res.json().errors[0].path, 'body/match_id')
    const byReferral = await app.inject({
      method: 'POST',
      url: '/v1/safeguarding-concerns',
      headers: auth(mentor),
      payload: { referral_id: referral.id, category: 'other', description: 'x' }
    })
    t.equal(byReferral.statusCode, 400, 'a mentor names its match')
    await post(
      app,
      referrer,
      '/v1/safeguarding-concerns',
      { referral_id: referral.id, category: 'online_safety', description: 'Messages from an unknown adult' },
      201
    )
    const notTheirs = await app.inject({
      method: 'POST',
      url: '/v1/safeguarding-concerns',
      headers: auth(tenant.token('referrer')),
      payload: { referral_id: referral.id, category: 'other', description: 'x' }
    })
    t.equal(notTheirs.statusCode, 422)
    t.equal(notTheirs.json().errors[0].path, 'body/referral_id')
    const neither = await app.inject({
      method: 'POST',
      url: '/v1/safeguarding-concerns',
      headers: auth(coordinator),
      payload: { category: 'other', description: 'x' }
    })
    t.equal(neither.statusCode, 400)
    const integration = await app.inject({
      method: 'POST',
      url: '/v1/safeguarding-concerns',
      headers: auth(tenant.token('integration')),
      payload: { referral_id: referral.id, category: 'other', description: 'x' }
    })
    t.equal(integration.statusCode, 403)
  })

  t.test('each sees what it raised; coordinators all', async (t) => {
    const all = await app.inject({ method: 'GET', url: '/v1/safeguarding-concerns', headers: auth(coordinator) })
    t.equal(all.json().data.length, 2)
    const mine = await app.inject({ method: 'GET', url: '/v1/safeguarding-concerns', headers: auth(mentor) })
    t.equal(mine.json().data.length, 1)
    t.equal(mine.json().data[0].description, description)
    const other = await app.inject({
      method: 'GET',
      url: '/v1/safeguarding-concerns',
      headers: auth(tenant.token('referrer'))
    })
    t.same(other.json().data, [])
    const elsewhere = await createTenant(app)
    const foreign = await app.inject({
      method: 'GET',
      url: '/v1/safeguarding-concerns',
      headers: auth(elsewhere.token('coordinator'))
    })
    t.same(foreign.json().data, [])
  })

  t.test('followed up with actions, never edited or deleted', async (t) => {
    const id = (await app.inject({ method: 'GET', url: '/v1/safeguarding-concerns', headers: auth(mentor) })).json()
      .data[0].id
    const followed = await post(
      app,
      coordinator,
      `/v1/safeguarding-concerns/${id as string}/actions`,
      { action: 'Referred to the MASH', outcome: 'Strategy meeting booked' },
      201
    )
    t.equal(followed.actions.length, 1)
    t.equal(followed.description, description)
    const byMentor = await app.inject({
      method: 'POST',
      url: `/v1/safeguarding-concerns/${id as string}/actions`,
      headers: auth(mentor),
      payload: { action: 'x' }
    })
    t.equal(byMentor.statusCode, 403)
    for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
      const res = await app.inject({
        method,
        url: `/v1/safeguarding-concerns/${id as string}`,
        headers: auth(coordinator),
        payload: { description: 'changed' }
      })
      t.ok(res.statusCode === 404 || res.statusCode === 405, `${method} ${res.statusCode}`)
    }
    await t.rejects(
      db.updateTable('safeguarding_concerns').set({ description: 'changed' }).where('id', '=', id).execute(),
      /cannot be changed/
    )
    await t.rejects(db.deleteFrom('safeguarding_concerns').where('id', '=', id).execute(), /cannot be changed/)
    await t.rejects(db.deleteFrom('safeguarding_concern_actions').execute(), /cannot be changed/)
    const got = await app.inject({
      method: 'GET',
      url: `/v1/safeguarding-concerns/${id as string}`,
      headers: auth(mentor)
    })
    t.equal(got.json().description, description)
  })
})
