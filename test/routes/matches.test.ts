import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { birthDateForAge, todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays } from '../../src/lib/dates.js'

const intro = { scheduled_at: '2026-12-01T16:00:00Z', location: 'Ravens Wood School library' }

async function acceptedReferral(
  app: FastifyInstance,
  coordinator: string,
  referrer: string,
  programmeId: string,
  overrides: Record<string, any> = {}
): Promise<any> {
  const r = await post(
    app,
    referrer,
    '/v1/referrals',
    referralBody(programmeId, {
      referrer: { email: `r${Math.random().toString(36).slice(2, 8)}@school.example` },
      ...overrides
    }),
    201
  )
  await post(app, coordinator, `/v1/referrals/${r.id as string}/accept`, {}, 200)
  return r
}

t.test('the match lifecycle', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programmeId = await tenant.programme()
  const referrerSub = 'referrer-lifecycle'
  const referrer = tenant.token('referrer', { sub: referrerSub })
  const mentorId = await recentlyVettedMentor(app, coordinator, [programmeId], {
    profile: { given_name: 'Jordan', capacity: 2 }
  })
  const mentor = tenant.token('mentor', { mentorId })
  const referral = await acceptedReferral(app, coordinator, referrer, programmeId)
  const today = todayLocal()
  const agreed = { agreed: true, recorded_on: today }

  const match = await post(
    app,
    coordinator,
    '/v1/matches',
    { referral_id: referral.id, mentor_id: mentorId, introduction: intro },
    201
  )
  const url = `/v1/matches/${match.id as string}`

  t.test('a new match is proposed and the referral matched', async (t) => {
    t.equal(match.status, 'proposed')
    t.equal(match.mentor_first_name, 'Jordan')
    const r = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}`,
      headers: auth(referrer)
    })
    t.equal(r.json().status, 'matched')
    t.same(r.json().match, { status: 'proposed', mentor_first_name: 'Jordan' })
    const again = await app.inject({
      method: 'POST',
      url: '/v1/matches',
      headers: auth(coordinator),
      payload: { referral_id: referral.id, mentor_id: mentorId, introduction: intro }
    })
    t.equal(again.statusCode, 409, 'a matched referral cannot be matched again')
  })

  t.test('views: a mentor sees a minimal young person, a referrer the first name only', async (t) => {
    const asMentor = await app.inject({ method: 'GET', url, headers: auth(mentor) })
    t.equal(asMentor.statusCode, 200, asMentor.body)
    const m = asMentor.json()
    t.same(Object.keys(m.young_person).sort(), ['age', 'first_name', 'interests', 'needs_summary', 'school'])
    t.equal(m.young_person.first_name, 'Amara')
    t.equal(m.young_person.school, 'Ravens Wood School')
    t.notOk(asMentor.body.includes('Okonkwo'), 'no family name, no parent')
    t.notOk(asMentor.body.includes('2012-03-14'), 'no date of birth')
    t.notOk(asMentor.body.includes('BR1'), 'no postcode')
    t.notOk(asMentor.body.includes('Finding it hard'), 'no needs statement')
    const asReferrer = await app.inject({ method: 'GET', url, headers: auth(referrer) })
    t.equal(asReferrer.statusCode, 200)
    t.equal(asReferrer.json().mentor_first_name, 'Jordan')
    t.notOk(asReferrer.json().mentor_id, 'no mentor id for a referrer')
    t.notOk(asReferrer.body.includes('Mentor-Test'), 'no mentor family name')
    const otherMentor = await app.inject({
      method: 'GET',
      url,
      headers: auth(tenant.token('mentor', { mentorId: referral.id }))
    })
    t.equal(otherMentor.statusCode, 404)
    const otherReferrer = await app.inject({ method: 'GET', url, headers: auth(tenant.token('referrer')) })
    t.equal(otherReferrer.statusCode, 404)
    const list = await app.inject({ method: 'GET', url: '/v1/matches', headers: auth(tenant.token('referrer')) })
    t.same(list.json().data, [])
    const mine = await app.inject({ method: 'GET', url: '/v1/matches', headers: auth(mentor) })
    t.equal(mine.json().data.length, 1)
    const elsewhere = await createTenant(app)
    t.equal((await app.inject({ method: 'GET', url, headers: auth(elsewhere.token('coordinator')) })).statusCode, 404)
    const write = await app.inject({
      method: 'POST',
      url: '/v1/matches',
      headers: auth(mentor),
      payload: { referral_id: referral.id, mentor_id: mentorId, introduction: intro }
    })
    t.equal(write.statusCode, 403)
  })

  t.test('activation needs the introduction and every agreement', async (t) => {
    const missing = await app.inject({
      method: 'POST',
      url: `${url}/activate`,
      headers: auth(coordinator),
      payload: {
        introduction: { held_on: today, attendees: ['mentor', 'coordinator'] },
        agreements: { young_person: agreed, mentor: { ...agreed, agreed: false } }
      }
    })
    t.equal(missing.statusCode, 422, missing.body)
    t.same(
      missing
        .json()
        .reasons.map((r: any) => r.code)
        .sort(),
      ['introduction_incomplete', 'mentor_agreement_missing', 'parent_carer_agreement_missing']
    )
    const future = await app.inject({
      method: 'POST',
      url: `${url}/activate`,
      headers: auth(coordinator),
      payload: {
        introduction: { held_on: addDays(today, 2), attendees: ['young_person', 'mentor'] },
        agreements: { young_person: agreed, mentor: agreed }
      }
    })
    t.equal(future.statusCode, 400)
    t.equal(future.json().errors[0].path, 'body/introduction/held_on')
    const etag = (await app.inject({ method: 'GET', url, headers: auth(coordinator) })).headers.etag as string
    const stale = await app.inject({
      method: 'POST',
      url: `${url}/pause`,
      headers: { ...auth(coordinator), 'if-match': '"00000000-9"' },
      payload: { reason: 'x' }
    })
    t.equal(stale.statusCode, 412)
    const ok = await app.inject({
      method: 'POST',
      url: `${url}/activate`,
      headers: { ...auth(coordinator), 'if-match': etag },
      payload: {
        introduction: { held_on: today, attendees: ['young_person', 'mentor', 'coordinator', 'referrer'] },
        agreements: {
          young_person: agreed,
          mentor: agreed,
          parent_carer: { ...agreed, name: 'Ngozi Okonkwo', relationship: 'mother' }
        }
      }
    })
    t.equal(ok.statusCode, 200, ok.body)
    t.equal(ok.json().status, 'active')
    t.equal(ok.json().started_on, today)
    t.equal(ok.json().introduction.held_on, today)
    const r = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}`,
      headers: auth(referrer)
    })
    t.same(r.json().match, { status: 'active', mentor_first_name: 'Jordan' })
  })

  t.test('sessions', async (t) => {
    const s = {
      held_on: today,
      duration_minutes: 60,
      location_type: 'library',
      attended: true,
      notes: 'Worked on a CV'
    }
    const logged = await app.inject({ method: 'POST', url: `${url}/sessions`, headers: auth(mentor), payload: s })
    t.equal(logged.statusCode, 201, logged.body)
    t.equal(logged.json().recorded_role, 'mentor')
    const home = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(mentor),
      payload: { ...s, location_type: 'home' }
    })
    t.equal(home.statusCode, 400)
    t.equal(home.json().errors[0].path, 'body/location_type')
    const online = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(coordinator),
      payload: { ...s, location_type: 'online' }
    })
    t.equal(online.statusCode, 422, 'online only for virtual or blended programmes')
    t.equal(online.json().reasons[0].code, 'online_not_in_programme')
    const future = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(mentor),
      payload: { ...s, held_on: addDays(today, 1) }
    })
    t.equal(future.statusCode, 400)
    t.equal(future.json().errors[0].path, 'body/held_on')
    const notMine = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(tenant.token('mentor', { mentorId: referral.id })),
      payload: s
    })
    t.equal(notMine.statusCode, 404)
    const list = await app.inject({ method: 'GET', url: `${url}/sessions`, headers: auth(coordinator) })
    t.equal(list.json().data.length, 1)
    t.equal(list.json().data[0].notes, 'Worked on a CV')
  })

  t.test('goals on a mentoring programme', async (t) => {
    const goal = await post(
      app,
      mentor,
      `${url}/goals`,
      { title: 'Apply for a college course', target_date: addDays(today, 90) },
      201
    )
    t.equal(goal.progress, 0)
    const stale = await app.inject({
      method: 'PATCH',
      url: `${url}/goals/${goal.id as string}`,
      headers: { ...auth(mentor), 'if-match': '"0-0"' },
      payload: { progress: 10 }
    })
    t.equal(stale.statusCode, 412)
    const res = await app.inject({
      method: 'PATCH',
      url: `${url}/goals/${goal.id as string}`,
      headers: auth(mentor),
      payload: { progress: 40, note: 'Open day visited' }
    })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().progress, 40)
    t.equal(res.json().progress_notes[0].note, 'Open day visited')
    const list = await app.inject({ method: 'GET', url: `${url}/goals`, headers: auth(coordinator) })
    t.equal(list.json().data.length, 1)
  })

  t.test('pause, resume, close for a rematch, then match again and close for good', async (t) => {
    await post(app, coordinator, `${url}/pause`, { reason: 'Exams' }, 200)
    const twice = await app.inject({
      method: 'POST',
      url: `${url}/pause`,
      headers: auth(coordinator),
      payload: { reason: 'Exams' }
    })
    t.equal(twice.statusCode, 409)
    await post(app, coordinator, `${url}/resume`, {}, 200)
    const badReason = await app.inject({
      method: 'POST',
      url: `${url}/close`,
      headers: auth(coordinator),
      payload: { reason_code: 'bored' }
    })
    t.equal(badReason.statusCode, 400)
    const closed = await post(
      app,
      coordinator,
      `${url}/close`,
      { reason_code: 'rematch', note: 'Different interests' },
      200
    )
    t.equal(closed.status, 'closed')
    t.equal(closed.close_reason_code, 'rematch')
    let r = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}`,
      headers: auth(coordinator)
    })
    t.equal(r.json().status, 'accepted', 'back to waiting for a mentor')
    t.equal(r.json().match, null)
    const history = await app.inject({ method: 'GET', url: `${url}/history`, headers: auth(coordinator) })
    t.same(
      history.json().data.map((h: any) => h.to_status),
      ['proposed', 'active', 'paused', 'active', 'closed']
    )
    const sessionAfter = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(mentor),
      payload: { held_on: addDays(today, -1), duration_minutes: 60, location_type: 'cafe', attended: true }
    })
    t.equal(sessionAfter.statusCode, 400, 'not before the match started')

    const second = await post(
      app,
      coordinator,
      '/v1/matches',
      { referral_id: referral.id, mentor_id: mentorId, introduction: intro },
      201
    )
    await post(
      app,
      coordinator,
      `/v1/matches/${second.id as string}/close`,
      { reason_code: 'young_person_withdrew' },
      200
    )
    r = await app.inject({ method: 'GET', url: `/v1/referrals/${referral.id as string}`, headers: auth(referrer) })
    t.equal(r.json().status, 'closed')
    t.same(r.json().match, { status: 'closed', mentor_first_name: 'Jordan' })
  })
})

t.test('two coordinators cannot over-fill a mentor', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programmeId = await tenant.programme()
  const mentorId = await recentlyVettedMentor(app, coordinator, [programmeId])
  for (let round = 0; round < 3; round += 1) {
    const a = await acceptedReferral(app, coordinator, coordinator, programmeId)
    const b = await acceptedReferral(app, coordinator, coordinator, programmeId)
    if (round > 0) {
      // Free the place taken in the previous round.
      const open = (
        await app.inject({
          method: 'GET',
          url: `/v1/matches?mentor_id=${mentorId}&status=proposed`,
          headers: auth(coordinator)
        })
      ).json().data
      for (const m of open)
        await post(app, coordinator, `/v1/matches/${m.id as string}/close`, { reason_code: 'other' }, 200)
    }
    const [x, y] = await Promise.all(
      [a, b].map(
        async (r) =>
          await app.inject({
            method: 'POST',
            url: '/v1/matches',
            headers: auth(tenant.token('coordinator')),
            payload: { referral_id: r.id, mentor_id: mentorId, introduction: intro }
          })
      )
    )
    t.same([x.statusCode, y.statusCode].sort(), [201, 409], `round ${round}: ${x.body} ${y.body}`)
    const refused = x.statusCode === 409 ? x : y
    t.equal(refused.json().reasons[0].code, 'no_capacity')
  }
})

t.test('creating a match re-checks the hard rules', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programmeId = await tenant.programme({ consent: { parental: { under_age: 13 } } })
  const male = await recentlyVettedMentor(app, coordinator, [programmeId], { profile: { gender: 'male' } })
  const unapproved = await recentlyVettedMentor(app, coordinator, [programmeId], { approve: false })
  const r = await acceptedReferral(app, coordinator, coordinator, programmeId)
  const res = await app.inject({
    method: 'POST',
    url: '/v1/matches',
    headers: auth(coordinator),
    payload: { referral_id: r.id, mentor_id: male, introduction: intro }
  })
  t.equal(res.statusCode, 422)
  t.equal(res.json().reasons[0].code, 'gender_preference')
  const res2 = await app.inject({
    method: 'POST',
    url: '/v1/matches',
    headers: auth(coordinator),
    payload: { referral_id: r.id, mentor_id: unapproved, introduction: intro }
  })
  t.equal(res2.statusCode, 422)
  t.equal(res2.json().reasons[0].code, 'not_approved')
  const submitted = await post(
    app,
    coordinator,
    '/v1/referrals',
    referralBody(programmeId, { referrer: { email: 'x@school.example' } }),
    201
  )
  const res3 = await app.inject({
    method: 'POST',
    url: '/v1/matches',
    headers: auth(coordinator),
    payload: { referral_id: submitted.id, mentor_id: male, introduction: intro }
  })
  t.equal(res3.statusCode, 409)

  t.test('a parent or carer agreement only where the programme needs one', async (t) => {
    const female = await recentlyVettedMentor(app, coordinator, [programmeId])
    const older = await acceptedReferral(app, coordinator, coordinator, programmeId, {
      young_person: { date_of_birth: birthDateForAge(15) }
    })
    const m = await post(
      app,
      coordinator,
      '/v1/matches',
      { referral_id: older.id, mentor_id: female, introduction: intro },
      201
    )
    const today = todayLocal()
    const agreed = { agreed: true, recorded_on: today }
    const res = await app.inject({
      method: 'POST',
      url: `/v1/matches/${m.id as string}/activate`,
      headers: auth(coordinator),
      payload: {
        introduction: { held_on: today, attendees: ['young_person', 'mentor'] },
        agreements: { young_person: agreed, mentor: agreed }
      }
    })
    t.equal(res.statusCode, 200, res.body)
  })
})

t.test('goals are for mentoring only', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programmeId = await tenant.programme({}, { kind: 'befriending' })
  const mentorId = await recentlyVettedMentor(app, coordinator, [programmeId])
  const r = await acceptedReferral(app, coordinator, coordinator, programmeId)
  const m = await post(
    app,
    coordinator,
    '/v1/matches',
    { referral_id: r.id, mentor_id: mentorId, introduction: intro },
    201
  )
  const res = await app.inject({
    method: 'POST',
    url: `/v1/matches/${m.id as string}/goals`,
    headers: auth(coordinator),
    payload: { title: 'Anything' }
  })
  t.equal(res.statusCode, 422)
  t.equal(res.json().reasons[0].code, 'goals_not_for_programme')
})
