import t from 'tap'
import { runJob } from '../support/jobs.js'
import { vettedMentor } from '../support/mentors.js'
import { setUp } from '../support/set-up.js'
import { addCoordinator } from '../support/tenants.js'
import { todayLocal } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { addDays, addMonths } from '../../src/lib/dates.js'

t.test('dbs-renewal-alerts', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { admin, coordinator }
  } = await setUp(t, { worker: true })
  await addCoordinator(app, admin, 'lead@council.example')
  const programme = await tenant.programme({
    mentor_requirements: { dbs_renewal_months: 36, dbs_update_service_check_months: 12 }
  })
  const today = todayLocal()
  const issued = addDays(today, -30)
  const due = addMonths(issued, 36)

  const keys = async (mentorId: string): Promise<string[]> =>
    (
      await db
        .selectFrom('notifications')
        .select('dedupe_key')
        .where('kind', '=', 'dbs_renewal_alert')
        .where('subject_id', '=', mentorId)
        .orderBy('dedupe_key')
        .execute()
    ).map((r) => r.dedupe_key)

  t.test('60 days before renewal is due, once; then when it lapses', async (t) => {
    const id = await vettedMentor(app, coordinator, [programme], { safeguarding: [today], dbs: { issued_on: issued } })
    t.equal(
      (await runJob(app, admin, 'dbs-renewal-alerts', addDays(due, -61))).counts.alerts,
      0,
      '61 days before: nothing yet'
    )
    const [a, b] = await Promise.all([
      runJob(app, admin, 'dbs-renewal-alerts', addDays(due, -60)),
      runJob(app, admin, 'dbs-renewal-alerts', addDays(due, -60))
    ])
    t.equal(
      a.counts.notifications_inserted + b.counts.notifications_inserted,
      2,
      'to the mentor and the coordinator, once'
    )
    t.equal((await runJob(app, admin, 'dbs-renewal-alerts', addDays(due, -10))).counts.notifications_inserted, 0)
    const lapsed = await runJob(app, admin, 'dbs-renewal-alerts', due)
    t.same([lapsed.counts.overdue, lapsed.counts.notifications_inserted], [1, 2])
    const got = await keys(id)
    t.equal(got.length, 4)
    t.same(
      got.filter((k) => k.endsWith(':mentor')),
      [`dbs_renewal_alert:${id}:due_60:${due}:mentor`, `dbs_renewal_alert:${id}:overdue:${due}:mentor`]
    )
  })

  t.test('a renewal in progress silences the reminder, not the lapse', async (t) => {
    const id = await vettedMentor(app, coordinator, [programme], {
      safeguarding: [today],
      dbs: { issued_on: issued, renewal_in_progress: true }
    })
    await runJob(app, admin, 'dbs-renewal-alerts', addDays(due, -30))
    t.equal((await keys(id)).length, 0)
    await runJob(app, admin, 'dbs-renewal-alerts', addDays(due, 1))
    t.equal((await keys(id)).filter((k) => k.includes(':overdue:')).length, 2)
  })

  t.test('on the Update Service: a status check due, not a renewal', async (t) => {
    const checked = addDays(today, -5)
    const id = await vettedMentor(app, coordinator, [programme], {
      safeguarding: [today],
      dbs: {
        issued_on: addMonths(today, -40),
        update_service_subscribed: true,
        update_service_subscription_id: 'C0099',
        status_checks: [{ checked_on: checked, result: 'no_change' }]
      }
    })
    const next = addMonths(checked, 12)
    const early = await runJob(app, admin, 'dbs-renewal-alerts', addDays(next, -60))
    t.equal((await keys(id)).length, 0, 'no renewal reminder for a certificate on the Update Service')
    t.equal(early.counts.due_60, 0)
    const run = await runJob(app, admin, 'dbs-renewal-alerts', addDays(next, -30))
    t.equal(run.counts.status_check_due, 1)
    t.ok((await keys(id)).every((k) => k.includes(`:status_check_due:${next}:`)))
    // A new status check moves the next one a year on: the cycle restarts.
    const list = await app.inject({ method: 'GET', url: `/v1/mentors/${id}/dbs-checks`, headers: auth(coordinator) })
    const res = await app.inject({
      method: 'POST',
      url: `/v1/mentors/${id}/dbs-checks/${list.json().data[0].id as string}/status-checks`,
      headers: auth(coordinator),
      payload: { checked_on: today, result: 'no_change' }
    })
    t.equal(res.statusCode, 201)
    t.equal((await runJob(app, admin, 'dbs-renewal-alerts', addDays(next, -30))).counts.status_check_due, 0)
  })
})
