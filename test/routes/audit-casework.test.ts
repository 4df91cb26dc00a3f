import t from 'tap'
import { setUp } from '../support/set-up.js'
import { callWithEvents } from '../support/audit.js'
import { auth } from '../support/tokens.js'
import { post, send } from '../support/requests.js'
import { makeMatch } from '../support/matches.js'
import { recentlyVettedMentor } from '../support/mentors.js'
import { referralBody } from '../support/bodies.js'
import { todayLocal } from '../support/time.js'

t.test('access events for mentors, matches and their records', async (t) => {
  const {
    app,
    db,
    tenant,
    other,
    tokens: { admin }
  } = await setUp(t, { other: true })
  const programme = await tenant.programme({ evaluation_interval_months: 12, early_review_months: 3 })
  const coordinator = tenant.token('coordinator', { sub: 'coordinator-bea' })
  const m = await makeMatch(app, coordinator, programme)
  const mentor = tenant.token('mentor', { sub: 'mentor-own', mentorId: m.mentorId })
  /** Sends a request with a request id of its own and returns the answer and the events it wrote. */
  const call = callWithEvents(app, db, 'req-casework')
  const shape = (events: Array<{ action: string; resource_type: string }>) =>
    events.map((e) => `${e.action} ${e.resource_type}`)

  t.test('mentor records: the profile, a list page, vetting records and compliance', async (t) => {
    const one = await call(coordinator, 'GET', `/v1/mentors/${m.mentorId}`)
    t.equal(one.res.statusCode, 200)
    t.match(one.events, [
      { action: 'read', resource_type: 'mentor', resource_id: m.mentorId, mentor_id: m.mentorId, referral_id: null }
    ])
    const page = await call(coordinator, 'GET', '/v1/mentors?limit=200')
    t.equal(page.events.length, page.res.json().data.length)
    const dbs = await call(coordinator, 'GET', `/v1/mentors/${m.mentorId}/dbs-checks`)
    t.equal(dbs.res.statusCode, 200)
    t.same(shape(dbs.events), ['read dbs_check'])
    t.equal(dbs.events[0].resource_id, dbs.res.json().data[0].id)
    t.equal(dbs.events[0].mentor_id, m.mentorId)
    const trainings = await call(coordinator, 'GET', `/v1/mentors/${m.mentorId}/trainings`)
    t.equal(trainings.events.length, trainings.res.json().data.length)
    const compliance = await call(mentor, 'GET', `/v1/mentors/${m.mentorId}/compliance`)
    t.match(compliance.events, [
      {
        action: 'read',
        resource_type: 'compliance',
        mentor_id: m.mentorId,
        actor_id: 'mentor-own',
        actor_role: 'mentor'
      }
    ])
    const patched = await call(coordinator, 'PATCH', `/v1/mentors/${m.mentorId}`, { phone: '07700 900123' })
    t.equal(patched.res.statusCode, 200, patched.res.body)
    t.same(shape(patched.events), ['update mentor'])
    const training = await call(coordinator, 'POST', `/v1/mentors/${m.mentorId}/trainings`, {
      kind: 'safeguarding',
      completed_on: todayLocal(),
      hours: 3,
      provider: 'NSPCC'
    })
    t.equal(training.res.statusCode, 201)
    t.match(training.events, [
      { action: 'create', resource_type: 'training', resource_id: training.res.json().id, mentor_id: m.mentorId }
    ])
  })

  t.test("a mentor's view of its match, sessions and goals name the young person and the mentor", async (t) => {
    const view = await call(mentor, 'GET', `/v1/matches/${m.matchId}`, undefined, {
      'x-access-purpose': 'Planning the next session'
    })
    t.equal(view.res.statusCode, 200)
    t.match(view.events, [
      {
        action: 'read',
        resource_type: 'match',
        resource_id: m.matchId,
        referral_id: m.referralId,
        mentor_id: m.mentorId,
        actor_role: 'mentor',
        purpose: 'Planning the next session'
      }
    ])
    const list = await call(mentor, 'GET', '/v1/matches')
    t.same(
      list.events.map((e) => e.resource_id),
      [m.matchId]
    )
    const logged = await call(mentor, 'POST', `/v1/matches/${m.matchId}/sessions`, {
      held_on: todayLocal(),
      duration_minutes: 60,
      location_type: 'library',
      attended: true,
      notes: 'Worked on a CV'
    })
    t.equal(logged.res.statusCode, 201, logged.res.body)
    t.match(logged.events, [
      {
        action: 'create',
        resource_type: 'session',
        resource_id: logged.res.json().id,
        referral_id: m.referralId,
        mentor_id: m.mentorId
      }
    ])
    const sessions = await call(coordinator, 'GET', `/v1/matches/${m.matchId}/sessions`)
    t.same(
      sessions.events.map((e) => e.resource_id),
      [logged.res.json().id]
    )
    const goal = await call(mentor, 'POST', `/v1/matches/${m.matchId}/goals`, { title: 'Apply for a Saturday job' })
    t.equal(goal.res.statusCode, 201, goal.res.body)
    t.same(shape(goal.events), ['create goal'])
    const goals = await call(mentor, 'GET', `/v1/matches/${m.matchId}/goals`)
    t.same(shape(goals.events), ['read goal'])
    const paused = await call(coordinator, 'POST', `/v1/matches/${m.matchId}/pause`, { reason: 'Exams' })
    t.equal(paused.res.statusCode, 200, paused.res.body)
    t.match(paused.events, [
      { action: 'status_change', resource_type: 'match', referral_id: m.referralId, mentor_id: m.mentorId }
    ])
  })

  t.test('evaluations and concerns', async (t) => {
    const evaluations = await call(coordinator, 'GET', `/v1/evaluations?match_id=${m.matchId}`)
    t.equal(evaluations.res.statusCode, 200)
    t.ok(evaluations.events.length > 0)
    t.equal(evaluations.events.length, evaluations.res.json().data.length)
    t.ok(
      evaluations.events.every(
        (e) => e.resource_type === 'evaluation' && e.referral_id === m.referralId && e.mentor_id === m.mentorId
      )
    )
    const raised = await call(mentor, 'POST', '/v1/safeguarding-concerns', {
      match_id: m.matchId,
      category: 'other',
      description: 'Seemed withdrawn'
    })
    t.equal(raised.res.statusCode, 201, raised.res.body)
    t.match(raised.events, [
      {
        action: 'create',
        resource_type: 'concern',
        resource_id: raised.res.json().id,
        referral_id: m.referralId,
        mentor_id: m.mentorId
      }
    ])
    const read = await call(coordinator, 'GET', `/v1/safeguarding-concerns/${raised.res.json().id as string}`)
    t.same(shape(read.events), ['read concern'])
  })

  t.test('mentor suggestions read the young person: one event about the referral, one per mentor ranked', async (t) => {
    const waiting = await post(app, coordinator, '/v1/referrals', referralBody(programme))
    await post(app, coordinator, `/v1/referrals/${waiting.id as string}/accept`, {}, 200)
    await recentlyVettedMentor(app, coordinator, [programme])
    const suggested = await call(coordinator, 'GET', `/v1/referrals/${waiting.id as string}/mentor-suggestions`)
    t.equal(suggested.res.statusCode, 200, suggested.res.body)
    const ranked = suggested.res.json().data.map((d: { mentor_id: string }) => d.mentor_id)
    t.ok(ranked.length > 0)
    t.ok(suggested.events.every((e) => e.resource_type === 'suggestions' && e.resource_id === waiting.id))
    t.equal(suggested.events.filter((e) => e.referral_id === waiting.id).length, 1)
    t.same(suggested.events.flatMap((e) => (e.mentor_id === null ? [] : [e.mentor_id])).sort(), [...ranked].sort())
  })

  t.test('a report download is one event about the programme', async (t) => {
    const json = await call(coordinator, 'GET', `/v1/reports/programme-summary?programme_id=${programme}`)
    t.equal(json.res.statusCode, 200)
    t.match(json.events, [
      { action: 'read', resource_type: 'report', resource_id: programme, referral_id: null, mentor_id: null }
    ])
    const csv = await call(admin, 'GET', `/v1/reports/programme-summary?programme_id=${programme}`, undefined, {
      accept: 'text/csv'
    })
    t.equal(csv.res.statusCode, 200)
    t.match(csv.events, [{ action: 'export', resource_type: 'report', resource_id: programme }])
    t.equal(csv.events.length, 1)
  })

  t.test('access logs of the young person and the mentor', async (t) => {
    const child = await send(
      app,
      coordinator,
      'GET',
      `/v1/referrals/${m.referralId}/access-log?limit=200`,
      undefined,
      200
    )
    const types = new Set(child.data.map((e: { resource_type: string }) => e.resource_type))
    for (const type of ['referral', 'match', 'session', 'goal', 'evaluation', 'concern'])
      t.ok(types.has(type), `the young person's log has ${type} events`)
    t.ok(child.data.every((e: { referral_id: string }) => e.referral_id === m.referralId))
    const seenByMentor = await send(
      app,
      admin,
      'GET',
      `/v1/referrals/${m.referralId}/access-log?actor_id=mentor-own&resource_type=match`,
      undefined,
      200
    )
    t.ok(seenByMentor.data.length >= 2)
    t.ok(
      seenByMentor.data.every(
        (e: { actor_id: string; resource_type: string }) => e.actor_id === 'mentor-own' && e.resource_type === 'match'
      )
    )

    const theirs = await send(app, coordinator, 'GET', `/v1/mentors/${m.mentorId}/access-log?limit=200`, undefined, 200)
    const mentorTypes = new Set(theirs.data.map((e: { resource_type: string }) => e.resource_type))
    for (const type of ['mentor', 'dbs_check', 'training', 'interview', 'reference', 'compliance', 'match'])
      t.ok(mentorTypes.has(type), `the mentor's log has ${type} events`)
    t.ok(theirs.data.every((e: { mentor_id: string }) => e.mentor_id === m.mentorId))
    const paged = await send(app, coordinator, 'GET', `/v1/mentors/${m.mentorId}/access-log?limit=2`, undefined, 200)
    t.equal(paged.data.length, 2)
    const next = await send(
      app,
      coordinator,
      'GET',
      `/v1/mentors/${m.mentorId}/access-log?limit=2&cursor=${paged.next_cursor as string}`,
      undefined,
      200
    )
    t.notOk(next.data.some((e: { id: string }) => paged.data.some((p: { id: string }) => p.id === e.id)))

    for (const token of [mentor, tenant.token('referrer'), tenant.token('integration')]) {
      t.equal(
        (await app.inject({ method: 'GET', url: `/v1/mentors/${m.mentorId}/access-log`, headers: auth(token) }))
          .statusCode,
        403
      )
      t.equal(
        (await app.inject({ method: 'GET', url: `/v1/referrals/${m.referralId}/access-log`, headers: auth(token) }))
          .statusCode,
        403
      )
    }
    t.equal(
      (
        await app.inject({
          method: 'GET',
          url: `/v1/mentors/${m.mentorId}/access-log`,
          headers: auth(other.token('coordinator'))
        })
      ).statusCode,
      404
    )
    t.equal(
      (
        await app.inject({
          method: 'GET',
          url: `/v1/mentors/${m.mentorId}/access-log`,
          headers: auth(other.token('admin'))
        })
      ).statusCode,
      404
    )
    t.equal(
      (
        await app.inject({
          method: 'GET',
          url: `/v1/referrals/${m.referralId}/access-log`,
          headers: auth(other.token('admin'))
        })
      ).statusCode,
      404
    )
  })

  t.test('the same request inside a refused change writes nothing', async (t) => {
    // Already paused: the transition is refused and its transaction, events included, rolled back.
    const again = await call(coordinator, 'POST', `/v1/matches/${m.matchId}/pause`, { reason: 'Again' })
    t.equal(again.res.statusCode, 409)
    t.same(again.events, [])
    await post(app, coordinator, `/v1/matches/${m.matchId}/resume`, {}, 200)
  })

  t.test('suspending a mentor writes the events of the matches it pauses', async (t) => {
    const suspended = await call(coordinator, 'POST', `/v1/mentors/${m.mentorId}/suspend`, { reason: 'DBS review' })
    t.equal(suspended.res.statusCode, 200, suspended.res.body)
    t.same(
      suspended.events.map((e) => [e.action, e.resource_type, e.resource_id, e.referral_id]),
      [
        ['status_change', 'match', m.matchId, m.referralId],
        ['status_change', 'mentor', m.mentorId, null]
      ]
    )
  })
})
