import t from 'tap'
import { runJob } from '../support/jobs.js'
import { makeMatch, matchAction, response } from '../support/matches.js'
import { setUp } from '../support/set-up.js'
import { addCoordinator } from '../support/tenants.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'

t.test('evaluation-reminders', async (t) => {
  const {
    app,
    db,
    tenant,
    other,
    tokens: { admin, coordinator },
    smtp
  } = await setUp(t, { smtp: true, worker: true, other: true })
  await addCoordinator(app, admin, 'lead.one@council.example')
  await addCoordinator(app, admin, 'lead.two@council.example')
  const adminUser = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: auth(admin),
    payload: { email: 'head.of.service@council.example', name: 'Head of Service', roles: ['admin'] }
  })
  t.equal(adminUser.statusCode, 201, adminUser.body)
  const programme = await tenant.programme({ evaluation_interval_months: 12 })
  const today = todayLocal()
  const due = addMonths(today, 12)
  const match = await makeMatch(app, coordinator, programme)
  const mentorEmail = (
    await app.inject({ method: 'GET', url: `/v1/mentors/${match.mentorId}`, headers: auth(coordinator) })
  ).json().email as string
  // Another organisation's match falls due on the same day: an API run covers the caller's organisation only.
  const otherMatch = await makeMatch(app, other.token('coordinator'), await other.programme())

  const reminders = async (): Promise<
    Array<{
      dedupe_key: string
      recipient: string
      subject: string
      body: string
      kind: string
      organisation_id: string
    }>
  > =>
    await db
      .selectFrom('notifications')
      .select(['dedupe_key', 'recipient', 'subject', 'body', 'kind', 'organisation_id'])
      .where('kind', 'in', ['evaluation_reminder', 'evaluation_escalation'])
      .orderBy('created_at')
      .orderBy('dedupe_key')
      .execute()
  const recipientsOf = async (threshold: string): Promise<string[]> =>
    (await reminders())
      .filter((n) => n.dedupe_key.includes(`:${threshold}:`))
      .map((n) => n.recipient)
      .sort()
  const staffAndMentor = ['lead.one@council.example', 'lead.two@council.example', mentorEmail].sort()

  t.test('nothing more than 14 days ahead', async (t) => {
    const run = await runJob(app, admin, 'evaluation-reminders', addDays(due, -15))
    t.equal(run.status, 'succeeded', run.error)
    t.equal(run.counts.reminders_due, 0)
    t.equal((await reminders()).length, 0)
  })

  t.test('14 days before: coordinators and the mentor, once however often the job runs', async (t) => {
    const asOf = addDays(due, -14)
    const first = await runJob(app, admin, 'evaluation-reminders', asOf)
    t.equal(first.counts.notifications_created, 3)
    t.same(await recipientsOf('due-soon'), staffAndMentor)
    const [again, concurrent] = await Promise.all([
      runJob(app, admin, 'evaluation-reminders', asOf),
      runJob(app, admin, 'evaluation-reminders', addDays(asOf, 3))
    ])
    t.equal(again.counts.notifications_created + concurrent.counts.notifications_created, 0)
    t.equal((await reminders()).length, 3)
    const n = (await reminders())[0]
    t.equal(n.subject, `Evaluation due soon: ${match.reference}`)
    t.match(n.body, `falls due on ${due}, in 14 days`)
    t.notMatch(n.body, /Amara|Okonkwo/, "no young person's details in the message")
    t.ok(
      (await reminders()).every((r) => r.organisation_id === tenant.orgId),
      'only this organisation'
    )
    // Each arrives once at the mail server.
    const mails = await smtp.waitFor(3)
    await new Promise((r) => setTimeout(r, 300))
    t.equal(smtp.messages.filter((m) => m.subject === `Evaluation due soon: ${match.reference}`).length, 3)
    t.equal(mails.filter((m) => m.to.includes(mentorEmail)).length, 1)
    t.notOk(smtp.messages.some((m) => m.subject.startsWith('Evaluation') && m.subject.includes(otherMatch.reference)))
  })

  t.test('on the due date, then weekly while overdue; admins from four weeks', async (t) => {
    const onTheDay = await runJob(app, admin, 'evaluation-reminders', due)
    t.equal(onTheDay.counts.notifications_created, 3)
    t.equal(onTheDay.counts.evaluations_added, 1, 'the next annual evaluation is scheduled once this one falls due')
    t.same(await recipientsOf('due'), staffAndMentor)
    t.equal(
      (await runJob(app, admin, 'evaluation-reminders', addDays(due, 6))).counts.notifications_created,
      0,
      'nothing new within the week'
    )
    t.equal((await runJob(app, admin, 'evaluation-reminders', addDays(due, 7))).counts.notifications_created, 3)
    t.same(await recipientsOf('overdue-week-1'), staffAndMentor)
    t.equal((await runJob(app, admin, 'evaluation-reminders', addDays(due, 27))).counts.notifications_created, 3)
    t.same(await recipientsOf('overdue-week-3'), staffAndMentor, 'no admin before four weeks')
    t.equal((await runJob(app, admin, 'evaluation-reminders', addDays(due, 28))).counts.notifications_created, 4)
    t.same(await recipientsOf('overdue-week-4'), [...staffAndMentor, 'head.of.service@council.example'].sort())
    const escalation = (await reminders()).find((n) => n.kind === 'evaluation_escalation')
    t.equal(escalation?.subject, `Evaluation overdue (4 weeks): ${match.reference}`)
  })

  t.test('recording the evaluation stops its reminders', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/matches/${match.matchId}/evaluations`,
      headers: auth(coordinator),
      payload: { held_on: today, responses: [response('young_person', { confidence: 4 })] }
    })
    t.equal(res.statusCode, 201, res.body)
    const before = (await reminders()).length
    const run = await runJob(app, admin, 'evaluation-reminders', addDays(due, 35))
    t.equal(run.counts.notifications_created, 0)
    t.equal((await reminders()).length, before)
  })

  t.test('the run keeps schedules current: the next annual evaluation is listed', async (t) => {
    const list = (
      await app.inject({ method: 'GET', url: `/v1/evaluations?match_id=${match.matchId}`, headers: auth(coordinator) })
    ).json()
    t.same(
      list.data.map((e: any) => [e.sequence, e.due_on, e.status]),
      [
        [1, due, 'completed'],
        [2, addMonths(today, 24), 'due']
      ]
    )
  })

  t.test('a paused match: its evaluation moves on by the days paused, so no reminder', async (t) => {
    const paused = await makeMatch(app, coordinator, programme)
    await matchAction(app, coordinator, paused.matchId, 'pause', { reason: 'Young person in hospital' })
    const asOf = addDays(due, -14)
    const run = await runJob(app, admin, 'evaluation-reminders', asOf)
    t.ok(run.counts.evaluations_moved >= 1, JSON.stringify(run.counts))
    const e = (
      await app.inject({ method: 'GET', url: `/v1/evaluations?match_id=${paused.matchId}`, headers: auth(coordinator) })
    ).json().data[0]
    const daysPaused = Math.round((Date.parse(asOf) - Date.parse(today)) / 86_400_000)
    t.equal(e.due_on, addDays(due, daysPaused))
    t.notOk(
      (await reminders()).some((n) => n.dedupe_key.includes(e.id)),
      'no reminder while paused'
    )
  })
})
