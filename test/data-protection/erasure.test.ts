import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { makeMatch, matchAction } from '../support/matches.js'
import { post, send } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'

t.test('erasure: what goes, what the law keeps, approved by a second admin', async (t) => {
  const {
    app,
    tenant,
    other,
    tokens: { admin, coordinator }
  } = await setUp(t, { other: true })
  const second = tenant.token('admin', { sub: 'admin-second' })
  const today = todayLocal()
  const programme = await tenant.programme()
  // One child, three referrals: a closed one with a match, a concern and a session; a declined one
  // on legal hold; an open one.
  const { matchId, referralId, mentorId } = await makeMatch(app, coordinator, programme)
  const session = await post(app, coordinator, `/v1/matches/${matchId}/sessions`, {
    held_on: today,
    duration_minutes: 45,
    location_type: 'school',
    attended: true,
    notes: 'Talked about home'
  })
  const concern = await post(app, coordinator, '/v1/safeguarding-concerns', {
    match_id: matchId,
    category: 'disclosure',
    description: 'Bruise on arm'
  })
  await matchAction(app, coordinator, matchId, 'close', { reason_code: 'planned_end' })
  const held = await post(app, coordinator, '/v1/referrals', referralBody(programme))
  await post(app, coordinator, `/v1/referrals/${held.id as string}/decline`, { reason_code: 'ineligible' }, 200)
  await post(
    app,
    admin,
    `/v1/referrals/${held.id as string}/legal-hold`,
    { reason: 'Complaint under investigation' },
    201
  )
  const open = await post(app, coordinator, '/v1/referrals', referralBody(programme))

  const body = {
    subject: { type: 'young_person', given_name: 'Amara', family_name: 'Okonkwo-Test', date_of_birth: '2012-03-14' },
    reason: 'Art. 17 request from the young person'
  }
  await post(app, coordinator, '/v1/erasure-requests', body, 403)
  const nobody = await post(
    app,
    admin,
    '/v1/erasure-requests',
    { ...body, subject: { ...body.subject, family_name: 'Nobody' } },
    422
  )
  t.equal(nobody.reasons[0].code, 'young_person_not_found')
  await post(app, admin, '/v1/erasure-requests', { subject: { type: 'young_person' }, reason: 'x' }, 400)
  await post(app, admin, '/v1/erasure-requests', { ...body, reason: '  ' }, 400)

  const request = await post(app, admin, '/v1/erasure-requests', body)
  t.equal(request.status, 'pending_approval')
  t.same(
    request.erasable.map((r: any) => `${r.type as string}:${r.id as string}`).sort(),
    [`match:${matchId}`, `referral:${referralId}`].sort()
  )
  const retained = new Map(request.retained.map((r: any) => [r.record.id, r.legal_basis]))
  t.match(
    retained.get(concern.id),
    /Safeguarding record.*Art\. 17\(3\)\(b\)/,
    'the concern is kept, with its legal basis'
  )
  t.match(retained.get(held.id), /Legal hold: Complaint under investigation/)
  t.match(retained.get(open.id), /Open casework/)
  t.same(await send(app, second, 'GET', `/v1/erasure-requests/${request.id as string}`, undefined, 200), request)
  await send(app, other.token('admin'), 'GET', `/v1/erasure-requests/${request.id as string}`, undefined, 404)

  const self = await app.inject({
    method: 'POST',
    url: `/v1/erasure-requests/${request.id as string}/approve`,
    headers: auth(admin)
  })
  t.equal(self.statusCode, 403, 'the admin who asked cannot approve')
  t.match(self.headers['content-type'], /problem\+json/)
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: `/v1/erasure-requests/${request.id as string}/approve`,
        headers: auth(coordinator)
      })
    ).statusCode,
    403
  )
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: `/v1/erasure-requests/${request.id as string}/approve`,
        headers: auth(other.token('admin'))
      })
    ).statusCode,
    404
  )
  t.equal(
    (await send(app, coordinator, 'GET', `/v1/referrals/${referralId}`, undefined, 200)).young_person.given_name,
    'Amara',
    'nothing changes before approval'
  )

  const approved = await post(app, second, `/v1/erasure-requests/${request.id as string}/approve`, undefined, 200)
  t.match(approved, { status: 'completed', approved_by: 'admin-second' })
  t.equal(approved.counts.referral, 1)
  t.equal(approved.counts.session, 1)
  await post(app, second, `/v1/erasure-requests/${request.id as string}/approve`, undefined, 409)

  const erased = await send(app, coordinator, 'GET', `/v1/referrals/${referralId}`, undefined, 200)
  t.match(erased.young_person, { given_name: 'Anonymised', date_of_birth: '2012-01-01', postcode: 'BR1' })
  t.equal(erased.status, 'closed')
  const sessions = await send(app, coordinator, 'GET', `/v1/matches/${matchId}/sessions`, undefined, 200)
  t.match(
    sessions.data.find((s: any) => s.id === session.id),
    { notes: null, duration_minutes: 45 }
  )
  t.equal(
    (await send(app, coordinator, 'GET', `/v1/safeguarding-concerns/${concern.id as string}`, undefined, 200))
      .description,
    'Bruise on arm',
    'the concern is kept as it was'
  )
  t.equal(
    (await send(app, coordinator, 'GET', `/v1/referrals/${held.id as string}`, undefined, 200)).young_person.given_name,
    'Amara',
    'the held referral is untouched'
  )
  t.equal(
    (await send(app, coordinator, 'GET', `/v1/referrals/${open.id as string}`, undefined, 200)).young_person.given_name,
    'Amara'
  )
  t.equal(
    (await send(app, coordinator, 'GET', `/v1/mentors/${mentorId}`, undefined, 200)).family_name,
    'Mentor-Test',
    'the mentor is another person'
  )

  const events = await send(
    app,
    admin,
    'GET',
    `/v1/audit-events?action=dispose&referral_id=${referralId}&limit=200`,
    undefined,
    200
  )
  t.ok(events.data.length >= 3)
  t.ok(events.data.every((e: any) => e.actor_id === 'admin-second' && e.actor_role === 'admin'))
  t.same([...new Set(events.data.map((e: any) => e.resource_type))].sort(), [
    'match',
    'notification',
    'referral',
    'session'
  ])
})

t.test('erasure of a mentor: a withdrawn one, unless held; allegations kept', async (t) => {
  const {
    app,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t)
  const second = tenant.token('admin', { sub: 'admin-second' })
  const programme = await tenant.programme()
  const { mentorId } = await makeMatch(app, coordinator, programme)
  const active = await post(app, admin, '/v1/erasure-requests', {
    subject: { type: 'mentor', mentor_id: mentorId },
    reason: 'Asked by the mentor'
  })
  t.same(active.erasable, [])
  t.match(active.retained, [{ record: { type: 'mentor', id: mentorId }, legal_basis: /still working with children/ }])

  const leaver = await post(app, coordinator, '/v1/mentors', {
    given_name: 'Robin',
    family_name: 'Leaver',
    email: 'robin.leaver@volunteer.example',
    gender: 'male',
    postcode: 'SE1 7PB',
    programme_ids: [programme]
  })
  await post(app, coordinator, `/v1/mentors/${leaver.id as string}/interviews`, {
    held_on: todayLocal(),
    interviewer: 'Pat Lead',
    outcome: 'passed',
    notes: 'Robin was nervous'
  })
  await post(app, coordinator, `/v1/mentors/${leaver.id as string}/withdraw`, { reason: 'Moved to Leeds' }, 200)
  const request = await post(app, admin, '/v1/erasure-requests', {
    subject: { type: 'mentor', given_name: 'Robin', family_name: 'Leaver' },
    reason: 'Asked by the mentor'
  })
  t.same(request.erasable, [{ type: 'mentor', id: leaver.id }])
  await post(app, admin, `/v1/mentors/${leaver.id as string}/legal-hold`, { reason: 'Tribunal' }, 201)
  const approved = await post(app, second, `/v1/erasure-requests/${request.id as string}/approve`, undefined, 200)
  t.same(approved.erasable, [], 'a hold placed since the request keeps the record')
  t.match(approved.retained, [{ record: { id: leaver.id }, legal_basis: /Legal hold: Tribunal/ }])
  t.equal(
    (await send(app, coordinator, 'GET', `/v1/mentors/${leaver.id as string}`, undefined, 200)).family_name,
    'Leaver'
  )

  const again = await post(app, admin, '/v1/erasure-requests', {
    subject: { type: 'mentor', mentor_id: leaver.id },
    reason: 'After the tribunal'
  })
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/mentors/${leaver.id as string}/legal-hold`, headers: auth(admin) }))
      .statusCode,
    200
  )
  await post(app, second, `/v1/erasure-requests/${again.id as string}/approve`, undefined, 200)
  const gone = await send(app, coordinator, 'GET', `/v1/mentors/${leaver.id as string}`, undefined, 200)
  t.match(gone, { given_name: 'Anonymised', family_name: 'Anonymised', postcode: 'SE1' })
  t.notMatch(JSON.stringify(gone), /robin|Leaver/i)
  t.notMatch(
    JSON.stringify(
      await send(app, coordinator, 'GET', `/v1/mentors/${leaver.id as string}/interviews`, undefined, 200)
    ),
    /nervous/,
    'vetting records too'
  )
})
