import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { runJob } from '../support/jobs.js'
import { makeMatch } from '../support/matches.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'

const agreed = (on: string): Record<string, unknown> => ({ agreed: true, recorded_on: on })
const activation = (heldOn: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...extra,
  introduction: { held_on: heldOn, attendees: ['young_person', 'mentor', 'coordinator'] },
  agreements: {
    young_person: agreed(heldOn),
    mentor: agreed(heldOn),
    parent_carer: { ...agreed(heldOn), name: 'Ngozi Okonkwo', relationship: 'mother' }
  }
})
const session = (heldOn: string): Record<string, unknown> => ({
  held_on: heldOn,
  duration_minutes: 60,
  location_type: 'library',
  attended: true
})

async function evaluationsOf(
  app: FastifyInstance,
  coordinator: string,
  matchId: string
): Promise<Array<{ kind: string; sequence: number; due_on: string; status: string }>> {
  const res = await app.inject({
    method: 'GET',
    url: `/v1/evaluations?match_id=${matchId}`,
    headers: auth(coordinator)
  })
  return res.json().data
}

t.test('match dates from the real world', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programme = await tenant.programme({ evaluation_interval_months: 12 })
  const today = todayLocal()

  t.test('activation takes the day the introduction happened; sessions from then on are logged', async (t) => {
    const m = await makeMatch(app, coordinator, programme, { activate: false })
    const url = `/v1/matches/${m.matchId}`
    const heldOn = addDays(today, -6)
    const future = await app.inject({
      method: 'POST',
      url: `${url}/activate`,
      headers: auth(coordinator),
      payload: activation(heldOn, { started_on: addDays(today, 1) })
    })
    t.equal(future.statusCode, 400, future.body)
    t.same(future.json().errors, [{ path: 'body/started_on', message: 'must not be in the future' }])
    const early = await app.inject({
      method: 'POST',
      url: `${url}/activate`,
      headers: auth(coordinator),
      payload: activation(heldOn, { started_on: addDays(heldOn, -1) })
    })
    t.equal(early.statusCode, 400, early.body)
    t.equal(early.json().errors[0].path, 'body/started_on')
    t.match(early.json().errors[0].message, `not be before the introduction (${heldOn})`)

    const started = await post(app, coordinator, `${url}/activate`, activation(heldOn, { started_on: heldOn }), 200)
    t.equal(started.started_on, heldOn)
    const logged = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(tenant.token('mentor', { mentorId: m.mentorId })),
      payload: session(addDays(heldOn, 1))
    })
    t.equal(logged.statusCode, 201, logged.body)
    const evaluations = await evaluationsOf(app, coordinator, m.matchId)
    t.same(
      evaluations.map((e) => [e.kind, e.due_on]),
      [['annual', addMonths(heldOn, 12)]],
      'scheduled from the real start'
    )
    const history = (await app.inject({ method: 'GET', url: `${url}/history`, headers: auth(coordinator) })).json().data
    t.equal(history.at(-1).on_date, heldOn)
  })

  t.test('without started_on the match starts today', async (t) => {
    const m = await makeMatch(app, coordinator, programme, { activate: false })
    const started = await post(
      app,
      coordinator,
      `/v1/matches/${m.matchId}/activate`,
      activation(addDays(today, -2)),
      200
    )
    t.equal(started.started_on, today)
  })

  t.test('a historical match: start, pause, resume and close on their own past days', async (t) => {
    const m = await makeMatch(app, coordinator, programme, { activate: false })
    const url = `/v1/matches/${m.matchId}`
    const start = addDays(today, -500)
    const pausedOn = addDays(start, 100)
    const resumedOn = addDays(pausedOn, 30)
    const closedOn = addDays(today, -10)
    await post(app, coordinator, `${url}/activate`, activation(start, { started_on: start }), 200)
    await post(app, coordinator, `${url}/sessions`, session(addDays(start, 7)), 201)

    const beforeStart = await app.inject({
      method: 'POST',
      url: `${url}/pause`,
      headers: auth(coordinator),
      payload: { reason: 'Exams', paused_on: addDays(start, -1) }
    })
    t.equal(beforeStart.statusCode, 400, beforeStart.body)
    t.equal(beforeStart.json().errors[0].path, 'body/paused_on')
    t.match(beforeStart.json().errors[0].message, `previous status change (active on ${start})`)
    const overSession = await app.inject({
      method: 'POST',
      url: `${url}/pause`,
      headers: auth(coordinator),
      payload: { reason: 'Exams', paused_on: addDays(start, 3) }
    })
    t.equal(overSession.statusCode, 409, 'a pause may not cover a session already logged')
    t.equal(overSession.json().reasons[0].code, 'sessions_after_pause')

    const paused = await post(app, coordinator, `${url}/pause`, { reason: 'Exams', paused_on: pausedOn }, 200)
    t.equal(paused.paused_at, pausedOn)
    const resumeEarly = await app.inject({
      method: 'POST',
      url: `${url}/resume`,
      headers: auth(coordinator),
      payload: { resumed_on: addDays(pausedOn, -1) }
    })
    t.equal(resumeEarly.statusCode, 400)
    t.equal(resumeEarly.json().errors[0].path, 'body/resumed_on')
    await post(app, coordinator, `${url}/resume`, { resumed_on: resumedOn }, 200)

    const annual = await evaluationsOf(app, coordinator, m.matchId)
    t.equal(
      annual.find((e) => e.kind === 'annual' && e.sequence === 1)?.due_on,
      addDays(addMonths(start, 12), 30),
      'the first annual evaluation moved by the 30 days paused'
    )

    const futureClose = await app.inject({
      method: 'POST',
      url: `${url}/close`,
      headers: auth(coordinator),
      payload: { reason_code: 'planned_end', closed_on: addDays(today, 1) }
    })
    t.equal(futureClose.statusCode, 400)
    t.equal(futureClose.json().errors[0].path, 'body/closed_on')
    const closed = await post(
      app,
      coordinator,
      `${url}/close`,
      { reason_code: 'planned_end', closed_on: closedOn },
      200
    )
    t.equal(closed.closed_on, closedOn)
    t.equal(closed.closure_evaluation_waived, false)
    const closure = (await evaluationsOf(app, coordinator, m.matchId)).find((e) => e.kind === 'closure')
    t.equal(closure?.due_on, addDays(closedOn, 14), 'the closure evaluation is due 14 days after the real closing day')
    const history = (await app.inject({ method: 'GET', url: `${url}/history`, headers: auth(coordinator) })).json().data
    t.same(history.map((h: any) => [h.to_status, h.on_date]).slice(1), [
      ['active', start],
      ['paused', pausedOn],
      ['active', resumedOn],
      ['closed', closedOn]
    ])
  })
})

t.test('sessions against the course of the match', async (t) => {
  const {
    app,
    tenant,
    tokens: { coordinator }
  } = await setUp(t)
  const programme = await tenant.programme()
  const today = todayLocal()
  const m = await makeMatch(app, coordinator, programme, { activate: false })
  const url = `/v1/matches/${m.matchId}`
  const mentor = tenant.token('mentor', { mentorId: m.mentorId })
  const start = addDays(today, -60)
  const pausedOn = addDays(start, 20)
  const resumedOn = addDays(pausedOn, 10)
  await post(app, coordinator, `${url}/activate`, activation(start, { started_on: start }), 200)
  await post(app, coordinator, `${url}/pause`, { reason: 'Hospital stay', paused_on: pausedOn }, 200)

  t.test('on a paused match, a day inside the pause is refused; the day it began stands', async (t) => {
    const inside = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(mentor),
      payload: session(addDays(pausedOn, 1))
    })
    t.equal(inside.statusCode, 409, inside.body)
    t.equal(inside.json().reasons[0].code, 'session_during_pause')
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: `${url}/sessions`,
          headers: auth(coordinator),
          payload: session(today)
        })
      ).statusCode,
      409,
      'nor today, while still paused'
    )
    t.equal(
      (await app.inject({ method: 'POST', url: `${url}/sessions`, headers: auth(mentor), payload: session(pausedOn) }))
        .statusCode,
      201
    )
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: `${url}/sessions`,
          headers: auth(mentor),
          payload: session(addDays(start, 3))
        })
      ).statusCode,
      201,
      'before the pause'
    )
  })

  t.test('after a resume, the days of the past pause stay refused', async (t) => {
    await post(app, coordinator, `${url}/resume`, { resumed_on: resumedOn }, 200)
    const inside = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(mentor),
      payload: session(addDays(resumedOn, -1))
    })
    t.equal(inside.statusCode, 409)
    t.equal(inside.json().reasons[0].code, 'session_during_pause')
    t.equal(
      (await app.inject({ method: 'POST', url: `${url}/sessions`, headers: auth(mentor), payload: session(resumedOn) }))
        .statusCode,
      201
    )
  })

  t.test('once closed: nothing after the closing day; before it, a coordinator only', async (t) => {
    const closedOn = addDays(today, -5)
    await post(app, coordinator, `${url}/close`, { reason_code: 'planned_end', closed_on: closedOn }, 200)
    const after = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(coordinator),
      payload: session(addDays(closedOn, 1))
    })
    t.equal(after.statusCode, 409, after.body)
    t.equal(after.json().reasons[0].code, 'session_after_close')
    const byMentor = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(mentor),
      payload: session(closedOn)
    })
    t.equal(byMentor.statusCode, 409, 'the former mentor logs nothing on a closed match')
    t.equal(byMentor.json().reasons[0].code, 'match_closed')
    const byCoordinator = await app.inject({
      method: 'POST',
      url: `${url}/sessions`,
      headers: auth(coordinator),
      payload: session(closedOn)
    })
    t.equal(byCoordinator.statusCode, 201, byCoordinator.body)
    t.equal(byCoordinator.json().recorded_role, 'coordinator')
  })
})

t.test('closing for a rematch before the relationship took hold', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t, { worker: true })
  const programme = await tenant.programme({ session_alert_weeks: 4 })
  const today = todayLocal()
  const start = async (daysAgo: number, sessions: number): Promise<string> => {
    const m = await makeMatch(app, coordinator, programme, { activate: false })
    const begun = addDays(today, -daysAgo)
    await post(app, coordinator, `/v1/matches/${m.matchId}/activate`, activation(begun, { started_on: begun }), 200)
    for (let i = 0; i < sessions; i++)
      await post(app, coordinator, `/v1/matches/${m.matchId}/sessions`, session(addDays(begun, i + 1)), 201)
    return m.matchId
  }
  const closeForRematch = async (id: string): Promise<any> =>
    await post(app, coordinator, `/v1/matches/${id}/close`, { reason_code: 'rematch' }, 200)
  const lastReason = async (id: string): Promise<string> =>
    (await app.inject({ method: 'GET', url: `/v1/matches/${id}/history`, headers: auth(coordinator) }))
      .json()
      .data.at(-1).reason

  const young = await start(10, 2)
  const unmet = await start(60, 0)
  const real = await start(60, 3)
  const other = await start(10, 1)

  t.test('within the first session_alert_weeks: no closure evaluation, and the history says so', async (t) => {
    const closed = await closeForRematch(young)
    t.equal(closed.closure_evaluation_waived, true)
    t.same(
      (await evaluationsOf(app, coordinator, young)).filter((e) => e.kind === 'closure'),
      []
    )
    t.equal(await lastReason(young), 'rematch; no closure evaluation: the match closed within its first 4 weeks')
  })

  t.test('with no session logged: likewise', async (t) => {
    t.equal((await closeForRematch(unmet)).closure_evaluation_waived, true)
    t.same(
      (await evaluationsOf(app, coordinator, unmet)).filter((e) => e.kind === 'closure'),
      []
    )
    t.equal(await lastReason(unmet), 'rematch; no closure evaluation: no session was logged')
  })

  t.test('a rematch after a relationship that happened, or another reason, still owes one', async (t) => {
    t.equal((await closeForRematch(real)).closure_evaluation_waived, false)
    t.equal((await evaluationsOf(app, coordinator, real)).filter((e) => e.kind === 'closure').length, 1)
    t.equal(await lastReason(real), 'rematch')
    await post(app, coordinator, `/v1/matches/${other}/close`, { reason_code: 'moved_away' }, 200)
    t.equal((await evaluationsOf(app, coordinator, other)).filter((e) => e.kind === 'closure').length, 1)
  })

  t.test('the daily job neither adds one back nor reminds the former mentor', async (t) => {
    const run = await runJob(app, admin, 'evaluation-reminders', addDays(today, 14))
    t.equal(run.status, 'succeeded', run.error)
    t.same(
      (await evaluationsOf(app, coordinator, young)).filter((e) => e.kind === 'closure'),
      []
    )
    const mentors = await db
      .selectFrom('matches')
      .innerJoin('mentors', 'mentors.id', 'matches.mentor_id')
      .select(['matches.id', 'mentors.email'])
      .where('matches.id', 'in', [young, unmet, real])
      .execute()
    const sentTo = new Set(
      (
        await db.selectFrom('notifications').select('recipient').where('kind', '=', 'evaluation_reminder').execute()
      ).map((n) => n.recipient)
    )
    const email = (id: string): string => mentors.find((r) => r.id === id)?.email as string
    t.notOk(sentTo.has(email(young)), 'no reminder for a waived closure evaluation')
    t.notOk(sentTo.has(email(unmet)))
    t.ok(sentTo.has(email(real)), 'the owed closure evaluation is reminded of')
  })
})

t.test('an overdue evaluation is reminded as overdue', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t, { worker: true })
  const yearly = await makeMatch(app, coordinator, await tenant.programme({ evaluation_interval_months: 12 }))
  const halfYearly = await makeMatch(app, coordinator, await tenant.programme({ evaluation_interval_months: 6 }))
  const today = todayLocal()
  const subjectsOf = async (reference: string): Promise<Array<{ subject: string; body: string }>> =>
    (
      await db
        .selectFrom('notifications')
        .select(['subject', 'body'])
        .where('kind', '=', 'evaluation_reminder')
        .execute()
    ).filter((n) => n.subject.endsWith(reference))

  await runJob(app, admin, 'evaluation-reminders', addMonths(today, 6))
  const onTheDay = await subjectsOf(halfYearly.reference)
  t.ok(onTheDay.length > 0)
  t.ok(
    onTheDay.every((n) => n.subject === `Evaluation due today: ${halfYearly.reference}`),
    'on the due date'
  )

  // A run three days late (the days between were missed) sends the due-date reminder, worded as overdue.
  await runJob(app, admin, 'evaluation-reminders', addDays(addMonths(today, 12), 3))
  const late = await subjectsOf(yearly.reference)
  t.ok(late.length > 0)
  t.ok(
    late.every(
      (n) => n.subject === `Evaluation overdue (3 days): ${yearly.reference}` && n.body.includes('is 3 days overdue')
    ),
    late.map((n) => n.subject).join(', ')
  )
})
