import t from 'tap'
import { runJob, waitForRun } from '../support/jobs.js'
import { vettedMentor } from '../support/mentors.js'
import { setUp } from '../support/set-up.js'
import { addCoordinator } from '../support/tenants.js'
import { todayLocal, waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'

t.test('training-expiry-alerts', async (t) => {
  const {
    app,
    db,
    tenant,
    other,
    tokens: { admin, coordinator },
    smtp,
    worker
  } = await setUp(t, { smtp: true, worker: true, other: true })
  await addCoordinator(app, admin, 'lead.one@council.example')
  await addCoordinator(app, admin, 'lead.two@council.example')
  const programme = await tenant.programme({ mentor_requirements: { safeguarding_training_valid_months: 12 } })
  const today = todayLocal()
  const completed = addDays(today, -10)
  const expires = addMonths(completed, 12)
  const mentorId = await vettedMentor(app, coordinator, [programme], { safeguarding: [completed] })
  const mentorEmail = (
    await app.inject({ method: 'GET', url: `/v1/mentors/${mentorId}`, headers: auth(coordinator) })
  ).json().email
  // A mentor elsewhere: runs from the API cover the caller's organisation only.
  await vettedMentor(app, other.token('coordinator'), [await other.programme()], { safeguarding: [completed] })

  const alerts = async (): Promise<
    Array<{ dedupe_key: string; recipient: string; subject: string; body: string; organisation_id: string }>
  > =>
    await db
      .selectFrom('notifications')
      .select(['dedupe_key', 'recipient', 'subject', 'body', 'organisation_id'])
      .where('kind', '=', 'training_expiry_alert')
      .orderBy('dedupe_key')
      .execute()

  t.test('nothing is due while the training is current', async (t) => {
    const run = await runJob(app, admin, 'training-expiry-alerts', addDays(expires, -31))
    t.equal(run.status, 'succeeded')
    t.equal(run.counts.mentors_scanned, 1, 'only this organisation')
    t.equal(run.counts.alerts, 0)
    t.equal((await alerts()).length, 0)
  })

  t.test('30 days before: to the mentor and each coordinator, once however often the job runs', async (t) => {
    const asOf = addDays(expires, -30)
    const [a, b] = await Promise.all([
      app.inject({
        method: 'POST',
        url: '/v1/jobs/training-expiry-alerts/runs',
        headers: auth(admin),
        payload: { as_of: asOf }
      }),
      app.inject({
        method: 'POST',
        url: '/v1/jobs/training-expiry-alerts/runs',
        headers: auth(admin),
        payload: { as_of: asOf }
      })
    ])
    t.equal(a.statusCode, 202)
    t.equal(b.statusCode, 202)
    const runs = await Promise.all([waitForRun(app, admin, a.json().id), waitForRun(app, admin, b.json().id)])
    t.same(
      runs.map((r) => r.status),
      ['succeeded', 'succeeded']
    )
    t.equal(
      runs[0].counts.notifications_inserted + runs[1].counts.notifications_inserted,
      3,
      'two runs at once: three messages in all'
    )
    t.equal(runs[0].counts.due_30, 1)
    const rows = await alerts()
    t.same(
      rows.map((r) => r.recipient).sort(),
      ['lead.one@council.example', 'lead.two@council.example', mentorEmail].sort()
    )
    t.ok(rows.every((r) => r.dedupe_key.includes(`:due_30:${expires}:`)))
    const later = await runJob(app, admin, 'training-expiry-alerts', asOf)
    t.equal(later.counts.notifications_inserted, 0, 'a second run later sends nothing')
    t.equal(later.counts.notifications_already_sent, 3)
    const nextDay = await runJob(app, admin, 'training-expiry-alerts', addDays(asOf, 1))
    t.equal(nextDay.counts.notifications_inserted, 0, 'the next day is in the same window')
    await smtp.waitFor(3)
    await new Promise((r) => setTimeout(r, 300))
    t.equal(smtp.messages.length, 3, 'each arrives once')
    const toMentor = rows.find((r) => r.recipient === mentorEmail)
    t.notOk(toMentor?.body.includes('Jordan'), 'no names in the message')
    t.match(rows.find((r) => r.recipient !== mentorEmail)?.body ?? '', /no active matches/)
    const toCoordinator = rows.find((r) => r.recipient !== mentorEmail)
    t.match(
      toCoordinator?.subject ?? '',
      /^Jordan Mentor-Test: safeguarding training lapses on /,
      'staff are told the mentor by name'
    )
    t.match(toCoordinator?.body ?? '', /mentor Jordan Mentor-Test/)
    t.notOk(toCoordinator?.subject.includes(mentorId.slice(0, 8)), 'not by a record id')
  })

  t.test('7 days before, on the day, and not again after', async (t) => {
    const seven = await runJob(app, admin, 'training-expiry-alerts', addDays(expires, -7))
    t.same([seven.counts.due_7, seven.counts.notifications_inserted], [1, 3])
    const before = await runJob(app, admin, 'training-expiry-alerts', addDays(expires, -1))
    t.equal(before.counts.notifications_inserted, 0)
    const on = await runJob(app, admin, 'training-expiry-alerts', expires)
    t.same([on.counts.expired, on.counts.notifications_inserted], [1, 3], 'expired on the day it lapses')
    const compliance = await app.inject({
      method: 'GET',
      url: `/v1/mentors/${mentorId}/compliance?as_of=${expires}`,
      headers: auth(coordinator)
    })
    t.equal(compliance.json().cleared, false)
    const after = await runJob(app, admin, 'training-expiry-alerts', addDays(expires, 1))
    t.equal(after.counts.notifications_inserted, 0)
    const long = await runJob(app, admin, 'training-expiry-alerts', addDays(expires, 45))
    t.equal(long.counts.alerts, 0, 'an old lapse is not news')
    t.equal((await alerts()).length, 9)
    await waitUntil(() => smtp.messages.length >= 9, 10_000, 'nine emails')
  })

  t.test('a renewed training restarts the cycle', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/mentors/${mentorId}/trainings`,
      headers: auth(coordinator),
      payload: { kind: 'safeguarding', completed_on: today, hours: 3, provider: 'NSPCC' }
    })
    t.equal(res.statusCode, 201)
    const renewedExpiry = addMonths(today, 12)
    const run = await runJob(app, admin, 'training-expiry-alerts', addDays(renewedExpiry, -30))
    t.same([run.counts.due_30, run.counts.notifications_inserted], [1, 3])
    t.ok((await alerts()).some((r) => r.dedupe_key.includes(`:due_30:${renewedExpiry}:`)))
    const old = await runJob(app, admin, 'training-expiry-alerts', addDays(expires, -30))
    t.equal(old.counts.notifications_inserted, 0, 'the first cycle is not repeated')
  })

  t.test('a mentor in two programmes gets an alert per expiry date, naming the programmes', async (t) => {
    const longer = await tenant.programme({ mentor_requirements: { safeguarding_training_valid_months: 24 } })
    const shorter = await tenant.programme({ mentor_requirements: { safeguarding_training_valid_months: 12 } })
    const id = await vettedMentor(app, coordinator, [longer, shorter], { safeguarding: [completed] })
    const run = await runJob(app, admin, 'training-expiry-alerts', addDays(addMonths(completed, 24), -7))
    t.equal(run.counts.due_7, 1)
    const rows = (await alerts()).filter((r) => r.dedupe_key.includes(id) && r.dedupe_key.includes(':due_7:'))
    t.equal(rows.length, 3)
    const expired12 = await runJob(app, admin, 'training-expiry-alerts', expires)
    t.ok(
      (await alerts()).some((r) => r.dedupe_key.startsWith(`training_expiry_alert:${id}:expired:${expires}`)),
      'the shorter validity lapses first'
    )
    t.ok(expired12.counts.expired >= 1)
  })

  t.test('the run records its counts, and a failure is recorded too', async (t) => {
    const run = await runJob(app, admin, 'training-expiry-alerts', '2026-01-01')
    t.match(run, {
      name: 'training-expiry-alerts',
      status: 'succeeded',
      as_of: '2026-01-01',
      trigger: 'api',
      error: null
    })
    t.ok(run.started_at !== null && run.finished_at !== null)
    t.type(run.counts.mentors_scanned, 'number')
  })
  // Close the workers (and their SMTP connections) before the mail listener stops.
  t.teardown(worker.close)
  await t.test('stop', async () => {
    await worker.close()
  })
})
