import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { referralBody } from '../support/bodies.js'
import { runJob } from '../support/jobs.js'
import { post } from '../support/requests.js'
import { setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { createQueueBackend } from '../../src/jobs/queue-backend.js'
import { createScheduledJobsQueue } from '../../src/jobs/scheduled/scheduled-queue.js'
import { schedulerOf } from '../../src/jobs/scheduled/registry.js'

const JOB = 'safeguarding-deadlines'
const DESCRIPTION = 'Amara said her uncle hits her when she gets home late.'

/** An organisation with its staff directory: an admin, a safeguarding lead, a coordinator, a departed admin. */
async function organisation(app: FastifyInstance) {
  const tenant = await createTenant(app)
  const admin = tenant.token('admin')
  const code = tenant.code.toLowerCase()
  const staff = {
    admin: `admin.${code}@council.example`,
    lead: `dsl.${code}@council.example`,
    coordinator: `coordinator.${code}@council.example`,
    departed: `departed.${code}@council.example`
  }
  const user = async (email: string, name: string, roles: string[], lead = false): Promise<any> =>
    await post(app, admin, '/v1/users', { email, name, roles, safeguarding_lead: lead }, 201)
  await user(staff.admin, 'Priya Admin', ['admin'])
  await user(staff.lead, 'Dana Lead', ['coordinator'], true)
  await user(staff.coordinator, 'Chris Coordinator', ['coordinator'])
  const departed = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: auth(admin),
    payload: { email: staff.departed, name: 'Gone Admin', roles: ['admin'] }
  })
  await app.inject({
    method: 'PATCH',
    url: `/v1/users/${departed.json().id as string}`,
    headers: { ...auth(admin), 'if-match': departed.headers.etag as string },
    payload: { active: false }
  })
  const coordinator = tenant.token('coordinator', { sub: 'coordinator-deadlines', name: 'Chris Coordinator' } as any)
  const programmeId = await tenant.programme()
  const referral = await post(app, coordinator, '/v1/referrals', referralBody(programmeId), 201)
  const raise = async (body: Record<string, unknown>): Promise<any> =>
    await post(
      app,
      coordinator,
      '/v1/safeguarding-concerns',
      { referral_id: referral.id, category: 'abuse_or_neglect', description: DESCRIPTION, ...body },
      201
    )
  const run = async (asOf: string): Promise<any> => {
    const r = await runJob(app, admin, JOB, asOf)
    if (r.status !== 'succeeded') throw new Error(`run: ${JSON.stringify(r)}`)
    return r
  }
  return { tenant, admin, coordinator, staff, referral, raise, run }
}

t.test('safeguarding deadlines', async (t) => {
  const { app, config, db, smtp } = await setUp(t, {
    smtp: true,
    worker: { SCHEDULER_CHECK_MS: 86_400_000 },
    env: { SCHEDULE_TZ: 'Europe/London' }
  })
  // The runs here judge the instants they name. The worker's own 15-minute scheduler would judge these
  // past-dated concerns by the real clock at any quarter hour the file spans, so it is taken away (and
  // not put back by the worker's check); the last test adds the job that scheduler fires itself.
  {
    const backend = createQueueBackend(config)
    const queue = createScheduledJobsQueue(backend)
    await queue.removeJobScheduler(schedulerOf(JOB, config.SCHEDULE_TIME).key)
    await queue.close()
    await backend.close()
  }
  const escalations = async (concernId: string) =>
    await db
      .selectFrom('notifications')
      .select(['recipient', 'subject', 'body', 'dedupe_key'])
      .where('kind', '=', 'safeguarding_escalation')
      .where('subject_id', '=', concernId)
      .orderBy('recipient')
      .execute()

  t.test('a concern raised on the Friday before a bank holiday Monday escalates only after the Tuesday', async (t) => {
    const o = await organisation(app)
    // Friday 28 August 2026, 10:00 in London; Monday 31 August is the summer bank holiday.
    const c = await o.raise({ raised_at: '2026-08-28T09:00:00Z' })
    t.equal(c.acknowledgement.due_at, '2026-09-01T22:59:00.000Z', 'Tuesday 1 September, 23:59 BST')
    for (const asOf of [
      '2026-08-29T12:00:00Z',
      '2026-08-31T22:00:00Z',
      '2026-09-01T12:00:00Z',
      '2026-09-01T22:59:00Z',
      '2026-09-01'
    ]) {
      const run = await o.run(asOf)
      t.equal(run.counts.escalated, 0, `not yet at ${asOf}`)
    }
    t.same(await escalations(c.id), [])
    const late = await o.run('2026-09-01T23:00:00Z')
    t.equal(late.counts.escalated, 1, 'at midnight going into Wednesday')
    t.same(
      (await escalations(c.id)).map((e) => e.recipient),
      [o.staff.admin, o.staff.lead].sort(),
      'every active admin and safeguarding lead; not a plain coordinator'
    )
  })

  t.test('escalated once per concern and deadline however often, or however concurrently, the job runs', async (t) => {
    const o = await organisation(app)
    const c = await o.raise({ raised_at: '2026-11-02T09:00:00Z' })
    const first = await o.run('2026-11-04T09:00:00Z')
    t.equal(first.counts.escalated, 1)
    t.equal(first.counts.notifications_inserted, 2)
    const again = await Promise.all([
      o.run('2026-11-05T09:00:00Z'),
      o.run('2026-11-06T09:00:00Z'),
      o.run('2026-11-06T09:00:00Z')
    ])
    for (const r of again) t.equal(r.counts.escalated, 0)
    await o.run('2026-11-20')
    t.equal((await escalations(c.id)).length, 2, 'two messages: one to the admin, one to the lead')
    const row = await db
      .selectFrom('safeguarding_concerns')
      .select(['acknowledgement_escalated_at'])
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow()
    t.ok(row.acknowledgement_escalated_at)
    // A lead added afterwards is not sent an old escalation again: it was escalated once.
    await post(
      app,
      o.admin,
      '/v1/users',
      {
        email: `late.${o.tenant.code.toLowerCase()}@council.example`,
        name: 'Late Lead',
        roles: ['coordinator'],
        safeguarding_lead: true
      },
      201
    )
    await o.run('2026-11-21')
    t.equal((await escalations(c.id)).length, 2)

    // Many concerns missed at once, with two runs racing over them: each escalated exactly once.
    const many = await Promise.all(
      Array.from({ length: 12 }, async () => await o.raise({ raised_at: '2026-11-09T09:00:00Z' }))
    )
    const raced = await Promise.all([o.run('2026-11-12T09:00:00Z'), o.run('2026-11-12T09:00:00Z')])
    t.equal(raced[0].counts.escalated + raced[1].counts.escalated, 12)
    for (const m of many) t.equal((await escalations(m.id)).length, 3, 'admin, lead and the lead added since')
  })

  t.test('escalations carry the reference and category, never the description or a name', async (t) => {
    const o = await organisation(app)
    const c = await o.raise({ raised_at: '2026-11-16T09:00:00Z', immediate_risk: true })
    await o.run('2026-11-16T10:05:00Z')
    const ours = (): typeof smtp.messages =>
      smtp.messages.filter(
        (m) =>
          m.subject.includes(o.referral.reference as string) && /ESCALATION|Safeguarding concern raised/.test(m.subject)
      )
    await waitUntil(
      () => ours().length === 4,
      15_000,
      'the alerts to the coordinator and the lead, the escalations to the admin and the lead'
    )
    const sent = ours()
    const escalation = sent.filter((m) => m.subject.startsWith('ESCALATION'))
    t.same(escalation.flatMap((m) => m.to).sort(), [o.staff.admin, o.staff.lead].sort())
    const young = o.referral.young_person ?? referralBody('x').young_person
    for (const m of sent) {
      t.match(m.text, 'abuse or neglect', 'the category')
      t.match(m.subject, o.referral.reference as string, 'the reference')
      for (const secret of [
        DESCRIPTION,
        'uncle',
        young.given_name,
        young.family_name,
        'Chris Coordinator',
        'Priya',
        'Dana',
        'Sam Teacher'
      ]) {
        t.notMatch(m.subject + m.text, secret, `${m.subject}: no "${secret}"`)
      }
    }
    t.equal((await escalations(c.id)).length, 2)
  })

  t.test('an immediate risk escalates one hour of clock time after it was raised, day or night', async (t) => {
    const o = await organisation(app)
    // Sunday 15 November 2026, 03:10 in London.
    const c = await o.raise({ raised_at: '2026-11-15T03:10:00Z', immediate_risk: true })
    t.equal((await o.run('2026-11-15T04:09:00Z')).counts.escalated, 0, 'within the hour')
    t.equal((await o.run('2026-11-15T04:11:00Z')).counts.escalated, 1, 'an hour passed')
    t.match((await escalations(c.id))[0].subject, /not acknowledged/)
  })

  t.test('an acknowledgement in time stops the escalation; an allegation also needs its LADO referral', async (t) => {
    const o = await organisation(app)
    const acked = await o.raise({ raised_at: '2026-11-02T09:00:00Z' })
    await post(app, o.coordinator, `/v1/safeguarding-concerns/${acked.id as string}/acknowledge`, {}, 200)
    const allegation = await o.raise({
      raised_at: '2026-11-02T09:00:00Z',
      kind: 'allegation_about_staff',
      category: 'other'
    })
    await post(app, o.coordinator, `/v1/safeguarding-concerns/${allegation.id as string}/acknowledge`, {}, 200)
    const referred = await o.raise({
      raised_at: '2026-11-02T09:00:00Z',
      kind: 'allegation_about_staff',
      category: 'other'
    })
    await post(app, o.coordinator, `/v1/safeguarding-concerns/${referred.id as string}/acknowledge`, {}, 200)
    await post(
      app,
      o.coordinator,
      `/v1/safeguarding-concerns/${referred.id as string}/lado-referral`,
      { referred_on: '2026-11-03', lado_reference: 'LADO/1' },
      200
    )
    const run = await o.run('2026-11-10T09:00:00Z')
    t.equal(run.counts.escalated, 1, 'only the allegation not referred to the LADO')
    t.same(await escalations(acked.id), [])
    t.same(await escalations(referred.id), [])
    const lado = await escalations(allegation.id)
    t.equal(lado.length, 2)
    t.ok(lado.every((e) => /not referred to the LADO/.test(e.subject) && e.dedupe_key.includes(':lado_referral:')))
  })

  t.test("a closed concern is not escalated; another organisation's run escalates only its own", async (t) => {
    const o = await organisation(app)
    const elsewhere = await organisation(app)
    const theirs = await elsewhere.raise({ raised_at: '2026-11-02T09:00:00Z' })
    const c = await o.raise({ raised_at: '2026-11-02T09:00:00Z' })
    await post(app, o.coordinator, `/v1/safeguarding-concerns/${c.id as string}/acknowledge`, {}, 200)
    await post(
      app,
      o.admin,
      `/v1/safeguarding-concerns/${c.id as string}/outcome`,
      { outcome: 'unfounded', note: 'Checked.' },
      200
    )
    await o.run('2026-11-10T09:00:00Z')
    t.same(await escalations(c.id), [])
    t.same(await escalations(theirs.id), [], "not escalated by another organisation's run")
    t.equal((await elsewhere.run('2026-11-10T09:00:00Z')).counts.escalated, 1)
  })

  t.test('what the 15-minute scheduler fires judges now, across every organisation', async (t) => {
    const a = await organisation(app)
    const b = await organisation(app)
    const late = [
      await a.raise({ raised_at: new Date(Date.now() - 2 * 3_600_000).toISOString(), immediate_risk: true }),
      await b.raise({ raised_at: new Date(Date.now() - 3 * 86_400_000).toISOString() })
    ]
    const notYet = await a.raise({ raised_at: new Date(Date.now() - 30 * 60_000).toISOString(), immediate_risk: true })
    const backend = createQueueBackend(config)
    const queue = createScheduledJobsQueue(backend)
    t.teardown(async () => {
      await queue.close()
      await backend.close()
    })
    // A run that judges from now on: the worker's own 15-minute scheduler may also have fired one
    // (at a quarter hour) before these concerns were raised, and that one proves nothing.
    const queuedAt = new Date()
    const judgingNow = () =>
      db
        .selectFrom('job_runs')
        .selectAll()
        .where('trigger', '=', 'schedule')
        .where('name', '=', JOB)
        .where('status', '=', 'succeeded')
        .where('as_of_instant', '>=', queuedAt)
        .orderBy('as_of_instant')
    await queue.add(JOB, { name: JOB })
    await waitUntil(async () => (await judgingNow().executeTakeFirst()) !== undefined, 15_000, 'scheduled run')
    const run = await judgingNow().executeTakeFirstOrThrow()
    t.equal(run.organisation_id, null, 'every organisation')
    t.ok(run.as_of_instant !== null && Math.abs(run.as_of_instant.getTime() - Date.now()) < 60_000, 'as of now')
    for (const c of late) t.equal((await escalations(c.id)).length, 2, 'escalated')
    t.same(await escalations(notYet.id), [], 'an immediate risk raised half an hour ago is not due yet')
  })
})
