import t from 'tap'
import { runJob } from '../support/jobs.js'
import { setUp } from '../support/set-up.js'
import { todayLocal, waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { createQueueBackend } from '../../src/jobs/queue-backend.js'
import { createScheduledJobsQueue } from '../../src/jobs/scheduled/scheduled-queue.js'
import { scheduledJobs, schedulerOf } from '../../src/jobs/scheduled/registry.js'

t.test('job runs', async (t) => {
  const {
    app,
    config,
    db,
    tenant,
    other,
    tokens: { admin }
  } = await setUp(t, { worker: true, other: true, env: { SCHEDULE_TIME: '07:30', SCHEDULE_TZ: 'Europe/London' } })

  t.test('who may run what', async (t) => {
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/jobs/tidy-up/runs',
      headers: auth(admin),
      payload: {}
    })
    t.equal(unknown.statusCode, 404)
    const coordinator = await app.inject({
      method: 'POST',
      url: '/v1/jobs/training-expiry-alerts/runs',
      headers: auth(tenant.token('coordinator')),
      payload: {}
    })
    t.equal(coordinator.statusCode, 403)
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/jobs/training-expiry-alerts/runs',
      headers: auth(admin),
      payload: { as_of: '30/02/2026', extra: 1 }
    })
    t.equal(bad.statusCode, 400)
    t.same(
      bad
        .json()
        .errors.map((e: any) => e.path)
        .sort(),
      ['body/as_of', 'body/extra']
    )
    for (const asOf of [
      '2026-02-30',
      '2026-02-30T10:00:00Z',
      '2026-06-01T25:00:00Z',
      '2026-06-01T10:00:00',
      '2026-06-01T10:00Z'
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/jobs/training-expiry-alerts/runs',
        headers: auth(admin),
        payload: { as_of: asOf }
      })
      t.equal(res.statusCode, 400, asOf)
      t.same(
        res.json().errors.map((e: any) => e.path),
        ['body/as_of'],
        asOf
      )
    }
    const badId = await app.inject({ method: 'GET', url: '/v1/jobs/runs/not-a-uuid', headers: auth(admin) })
    t.equal(badId.statusCode, 400)
  })

  t.test('a run without a body is for today, and only its organisation sees it', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/v1/jobs/dbs-renewal-alerts/runs', headers: auth(admin) })
    t.equal(res.statusCode, 202, res.body)
    t.equal(res.json().status, 'queued')
    t.equal(res.json().as_of, todayLocal('Europe/London'))
    t.equal(res.headers.location, `/v1/jobs/runs/${res.json().id as string}`)
    await waitUntil(
      async () =>
        (
          await app.inject({ method: 'GET', url: `/v1/jobs/runs/${res.json().id as string}`, headers: auth(admin) })
        ).json().status === 'succeeded',
      15_000,
      'run'
    )
    const done = (
      await app.inject({ method: 'GET', url: `/v1/jobs/runs/${res.json().id as string}`, headers: auth(admin) })
    ).json()
    t.match(done.counts, { mentors_scanned: 0, alerts: 0, notifications_inserted: 0 })
    const foreign = await app.inject({
      method: 'GET',
      url: `/v1/jobs/runs/${res.json().id as string}`,
      headers: auth(other.token('admin'))
    })
    t.equal(foreign.statusCode, 404)
  })

  t.test(
    'a scheduler per registered job in SCHEDULE_TZ: daily at SCHEDULE_TIME, safeguarding deadlines every 15 minutes',
    async (t) => {
      const backend = createQueueBackend(config)
      const queue = createScheduledJobsQueue(backend)
      t.teardown(async () => {
        await queue.close()
        await backend.close()
      })
      const schedulers = await queue.getJobSchedulers()
      t.same(
        schedulers.map((s) => s.key).sort(),
        Object.keys(scheduledJobs)
          .map((n) => schedulerOf(n, '07:30').key)
          .sort()
      )
      for (const s of schedulers) {
        t.equal(s.pattern, s.key === 'every-15-minutes:safeguarding-deadlines' ? '*/15 * * * *' : '30 7 * * *', s.key)
        t.equal(s.tz, 'Europe/London')
      }
      t.ok(schedulers.some((s) => s.key === 'every-15-minutes:safeguarding-deadlines'))
      // What a scheduler fires: a job with only a name. It runs over every organisation, for today.
      await queue.add('training-expiry-alerts', { name: 'training-expiry-alerts' })
      // This job's run: at a quarter hour, the 15-minute scheduler fires safeguarding-deadlines too.
      const thisRun = () =>
        db
          .selectFrom('job_runs')
          .selectAll()
          .where('trigger', '=', 'schedule')
          .where('name', '=', 'training-expiry-alerts')
      await waitUntil(async () => (await thisRun().executeTakeFirst())?.status === 'succeeded', 15_000, 'scheduled run')
      const run = await thisRun().executeTakeFirstOrThrow()
      t.equal(run.organisation_id, null, 'every organisation')
      t.equal(run.as_of, todayLocal('Europe/London'))
    }
  )

  t.test('as_of is a day or an RFC 3339 instant', async (t) => {
    const instant = await runJob(app, admin, 'safeguarding-deadlines', '2026-06-01T23:30:00Z')
    t.equal(instant.status, 'succeeded')
    t.equal(instant.as_of, '2026-06-02', 'the local day of the instant (00:30 in London, summer time)')
    t.equal(instant.as_of_instant, '2026-06-01T23:30:00.000Z')
    const offset = await runJob(app, admin, 'session-gap-alerts', '2026-12-01T09:00:00+05:00')
    t.equal(offset.as_of, '2026-12-01')
    t.equal(offset.as_of_instant, '2026-12-01T04:00:00.000Z')
    const day = await runJob(app, admin, 'safeguarding-deadlines', '2026-06-01')
    t.equal(day.as_of, '2026-06-01')
    t.equal(day.as_of_instant, '2026-05-31T23:00:00.000Z', 'a day judges what was due by its start, local time')
  })

  t.test('every registered job runs through the API', async (t) => {
    for (const name of Object.keys(scheduledJobs)) {
      const run = await runJob(app, admin, name, '2026-06-01')
      t.equal(run.status, 'succeeded', name)
    }
  })
})
