import t from 'tap'
import { setUp } from '../support/set-up.js'
import { callWithEvents } from '../support/audit.js'
import { auth } from '../support/tokens.js'
import { post } from '../support/requests.js'
import { makeMatch } from '../support/matches.js'
import { referralBody } from '../support/bodies.js'
import { recentlyVettedMentor } from '../support/mentors.js'

t.test('access events for replays, plans, notifications and data protection requests', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin }
  } = await setUp(t)
  const programme = await tenant.programme()
  const coordinator = tenant.token('coordinator', { sub: 'coordinator-cai' })
  /** Sends a request with a request id of its own and returns the answer and the events it wrote. */
  const call = callWithEvents(app, db, 'req-coverage')

  t.test('an idempotent replay of a referral is a read of the child', async (t) => {
    const key = { 'idempotency-key': 'coverage-replay-1' }
    const body = referralBody(programme)
    const first = await call(coordinator, 'POST', '/v1/referrals', body, key)
    t.equal(first.res.statusCode, 201)
    t.match(first.events, [{ action: 'create', resource_type: 'referral' }])
    const again = await call(coordinator, 'POST', '/v1/referrals', body, { ...key, 'x-access-purpose': 'retry' })
    t.equal(again.res.statusCode, 201)
    t.equal(again.res.headers['idempotent-replayed'], 'true')
    t.equal(again.res.json().id, first.res.json().id)
    t.match(again.events, [
      {
        action: 'read',
        resource_type: 'referral',
        resource_id: first.res.json().id,
        referral_id: first.res.json().id,
        actor_id: 'coordinator-cai',
        purpose: 'retry',
        outcome: 'success'
      }
    ])
    t.equal(again.events.length, 1)
  })

  t.test('an idempotent replay of a match is a read of both parties', async (t) => {
    const mentorId = await recentlyVettedMentor(app, coordinator, [programme])
    const referral = await post(app, coordinator, '/v1/referrals', referralBody(programme))
    await post(app, coordinator, `/v1/referrals/${referral.id as string}/accept`, {}, 200)
    const body = {
      referral_id: referral.id,
      mentor_id: mentorId,
      introduction: { scheduled_at: new Date().toISOString(), location: 'School library' }
    }
    const key = { 'idempotency-key': 'coverage-match-1' }
    const first = await call(coordinator, 'POST', '/v1/matches', body, key)
    t.equal(first.res.statusCode, 201, first.res.body)
    const again = await call(coordinator, 'POST', '/v1/matches', body, key)
    t.equal(again.res.statusCode, 201)
    t.equal(again.res.headers['idempotent-replayed'], 'true')
    t.match(again.events, [
      {
        action: 'read',
        resource_type: 'match',
        resource_id: first.res.json().id,
        referral_id: referral.id,
        mentor_id: mentorId
      }
    ])
    t.equal(again.events.length, 1)
  })

  t.test('a matching plan names young people and mentors: one event for each it names', async (t) => {
    const own = await tenant.programme()
    const m = await makeMatch(app, coordinator, own, { activate: false })
    // A second waiting referral that no mentor is free for.
    const waiting = await post(app, coordinator, '/v1/referrals', referralBody(own))
    await post(app, coordinator, `/v1/referrals/${waiting.id as string}/accept`, {}, 200)
    const created = await call(coordinator, 'POST', '/v1/matching/plans', { programme_id: own })
    t.equal(created.res.statusCode, 201, created.res.body)
    const plan = created.res.json()
    const named = [
      ...plan.pairs.map((p: any) => `${p.referral_id as string}/${p.mentor_id as string}`),
      ...plan.unmatched.map((u: any) => `${u.referral_id as string}/-`)
    ].sort()
    t.ok(named.length >= 1, 'the plan names someone')
    const shape = (events: any[]) => events.map((e) => `${e.referral_id as string}/${e.mentor_id ?? '-'}`).sort()
    t.same(shape(created.events), named)
    t.ok(
      created.events.every(
        (e) => e.action === 'create' && e.resource_type === 'matching_plan' && e.resource_id === plan.id
      )
    )
    const read = await call(coordinator, 'GET', `/v1/matching/plans/${plan.id as string}`)
    t.equal(read.res.statusCode, 200)
    t.same(shape(read.events), named)
    t.ok(read.events.every((e) => e.action === 'read' && e.resource_type === 'matching_plan'))
    t.ok(m.matchId)
  })

  t.test('the notifications list: one event per message about a young person or a mentor', async (t) => {
    const page = await call(admin, 'GET', '/v1/notifications?limit=200')
    t.equal(page.res.statusCode, 200)
    const rows = page.res.json().data as any[]
    const about = rows.filter((r) =>
      ['referral', 'match', 'evaluation', 'safeguarding_concern', 'mentor'].includes(r.subject_type)
    )
    t.ok(about.length > 0, 'acknowledgements were written')
    t.equal(page.events.length, about.length)
    t.ok(page.events.every((e) => e.action === 'read' && e.resource_type === 'notification'))
    const byId = new Map(page.events.map((e) => [e.resource_id, e]))
    for (const r of about.filter((x) => x.subject_type === 'referral')) {
      t.equal(byId.get(r.id)?.referral_id, r.subject_id, 'a referral message names its young person')
    }
    t.notOk(JSON.stringify(rows).includes('about_referral_id'), 'what the event needs stays out of the answer')
  })

  t.test('subject access and erasure requests: every read and change is about the subject', async (t) => {
    const referral = await post(app, coordinator, '/v1/referrals', referralBody(programme))
    const sar = {
      subject: { type: 'young_person', referral_id: referral.id },
      received_on: '2026-01-05',
      requester: { name: 'Ngozi Okonkwo', relationship: 'parent' },
      identity_verified: true
    }
    const key = { 'idempotency-key': 'coverage-sar-1' }
    const created = await call(admin, 'POST', '/v1/subject-access-requests', sar, key)
    t.equal(created.res.statusCode, 201, created.res.body)
    const id = created.res.json().id as string
    // The young person is found by name too (the referrals above are of the same child): an event per referral.
    const about = { resource_type: 'subject_access_request', resource_id: id }
    const aboutSubject = (events: any[], action: string) => {
      t.ok(events.length > 0 && events.every((e) => t.match(e, { action, ...about }, action)))
      t.ok(
        events.some((e) => e.referral_id === referral.id),
        `${action} names the subject's referral`
      )
    }
    aboutSubject(created.events, 'create')
    const replay = await call(admin, 'POST', '/v1/subject-access-requests', sar, key)
    aboutSubject(replay.events, 'read')
    const one = await call(admin, 'GET', `/v1/subject-access-requests/${id}`)
    t.equal(one.res.statusCode, 200)
    aboutSubject(one.events, 'read')
    const list = await call(admin, 'GET', '/v1/subject-access-requests?limit=200')
    t.equal(list.res.statusCode, 200)
    t.ok(list.events.some((e) => e.resource_id === id && e.referral_id === referral.id))
    t.ok(list.events.length >= list.res.json().data.length, 'one event at least per row returned')
    const extended = await call(admin, 'POST', `/v1/subject-access-requests/${id}/extend`, {
      months: 1,
      reason: 'Records across programmes'
    })
    t.equal(extended.res.statusCode, 200, extended.res.body)
    aboutSubject(extended.events, 'update')
    const completed = await call(admin, 'POST', `/v1/subject-access-requests/${id}/complete`, { sent_on: '2026-01-20' })
    t.equal(completed.res.statusCode, 200, completed.res.body)
    aboutSubject(completed.events, 'status_change')

    const erasure = await call(admin, 'POST', '/v1/erasure-requests', {
      subject: { type: 'young_person', referral_id: referral.id },
      reason: 'Asked by the young person'
    })
    t.equal(erasure.res.statusCode, 201, erasure.res.body)
    const eid = erasure.res.json().id as string
    t.ok(erasure.events.some((e) => e.action === 'create' && e.resource_id === eid && e.referral_id === referral.id))
    const read = await call(admin, 'GET', `/v1/erasure-requests/${eid}`)
    t.ok(read.events.some((e) => e.action === 'read' && e.resource_id === eid && e.referral_id === referral.id))
    const log = await call(admin, 'GET', `/v1/referrals/${referral.id as string}/access-log?limit=200`)
    const types = new Set((log.res.json().data as any[]).map((e) => e.resource_type))
    t.ok(types.has('subject_access_request') && types.has('erasure_request'), "both show in the child's access log")
  })
})

t.test('a refused request for a named record is a denied event of the record’s organisation', async (t) => {
  const {
    app,
    db,
    tenant,
    other,
    tokens: { admin }
  } = await setUp(t, { other: true })
  const programme = await tenant.programme()
  const coordinator = tenant.token('coordinator')
  const owner = tenant.token('referrer', { sub: 'referrer-own' })
  const referral = await post(app, owner, '/v1/referrals', referralBody(programme))
  const m = await makeMatch(app, coordinator, programme)
  const denied = async () =>
    await db.selectFrom('audit_events').selectAll().where('outcome', '=', 'denied').orderBy('at').execute()
  const ask = async (token: string, url: string, requestId: string) =>
    await app.inject({ method: 'GET', url, headers: { ...auth(token), 'x-request-id': requestId } })
  const body = (res: { json: () => any }) => {
    const { detail, title, status, code, type } = res.json()
    return { detail, title, status, code, type }
  }

  t.test('another organisation: 404 as for a record that does not exist, and one event for the owner', async (t) => {
    const stranger = other.token('coordinator', { sub: 'coordinator-elsewhere' })
    const res = await ask(stranger, `/v1/referrals/${referral.id as string}`, 'req-denied-1')
    const none = await ask(stranger, '/v1/referrals/00000000-0000-4000-8000-000000000001', 'req-denied-2')
    t.equal(res.statusCode, 404)
    t.same(body(res), body(none), 'the answer does not tell an existing record from a missing one')
    const events = await denied()
    t.match(events, [
      {
        organisation_id: tenant.orgId,
        actor_id: 'coordinator-elsewhere',
        actor_role: 'coordinator',
        action: 'read',
        resource_type: 'referral',
        resource_id: referral.id,
        referral_id: referral.id,
        outcome: 'denied',
        request_id: 'req-denied-1'
      }
    ])
    t.equal(events.length, 1, 'a guessed id writes nothing')
    for (let i = 0; i < 5; i++) await ask(stranger, `/v1/referrals/${referral.id as string}`, `req-denied-again-${i}`)
    t.equal((await denied()).length, 1, 'asking again for the same record within the hour writes no more')
    const log = await app.inject({
      method: 'GET',
      url: `/v1/referrals/${referral.id as string}/access-log`,
      headers: auth(admin)
    })
    t.ok(
      (log.json().data as any[]).some((e) => e.outcome === 'denied' && e.actor_id === 'coordinator-elsewhere'),
      "the attempt shows in the child's access log"
    )
  })

  t.test("another referrer's referral (404) and a role that may not read it (403)", async (t) => {
    const before = (await denied()).length
    const nosy = tenant.token('referrer', { sub: 'referrer-nosy' })
    t.equal((await ask(nosy, `/v1/referrals/${referral.id as string}`, 'req-denied-3')).statusCode, 404)
    t.equal((await ask(owner, `/v1/referrals/${referral.id as string}`, 'req-denied-own')).statusCode, 200)
    const mentor = tenant.token('mentor', { sub: 'mentor-other', mentorId: m.mentorId })
    t.equal((await ask(mentor, `/v1/referrals/${referral.id as string}/history`, 'req-denied-4')).statusCode, 403)
    const events = (await denied()).slice(before)
    t.match(events, [
      { actor_id: 'referrer-nosy', resource_id: referral.id, request_id: 'req-denied-3' },
      { actor_id: 'mentor-other', actor_role: 'mentor', resource_id: referral.id, request_id: 'req-denied-4' }
    ])
    t.equal(events.length, 2, 'the owner reading its own referral is no refusal')
  })

  t.test('a suspended mentor asking for its match: 404 and a denied event about both parties', async (t) => {
    const mentor = tenant.token('mentor', { sub: 'mentor-own', mentorId: m.mentorId })
    t.equal((await ask(mentor, `/v1/matches/${m.matchId}`, 'req-denied-5')).statusCode, 200)
    await post(app, coordinator, `/v1/mentors/${m.mentorId}/suspend`, { reason: 'Allegation received' }, 200)
    t.equal((await ask(mentor, `/v1/matches/${m.matchId}`, 'req-denied-6')).statusCode, 404)
    const events = await db.selectFrom('audit_events').selectAll().where('request_id', '=', 'req-denied-6').execute()
    t.match(events, [
      {
        resource_type: 'match',
        resource_id: m.matchId,
        referral_id: m.referralId,
        mentor_id: m.mentorId,
        outcome: 'denied'
      }
    ])
  })

  t.test('a coordinator of the organisation asking for a missing record writes nothing', async (t) => {
    const before = (await denied()).length
    t.equal(
      (await ask(coordinator, '/v1/mentors/00000000-0000-4000-8000-000000000002', 'req-denied-7')).statusCode,
      404
    )
    t.equal((await denied()).length, before)
  })
})
