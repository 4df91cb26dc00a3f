import t from 'tap'
import { runJob } from '../support/jobs.js'
import { setUp } from '../support/set-up.js'
import { todayLocal, waitUntil } from '../support/time.js'
import { auth } from '../support/tokens.js'
import { createQueueBackend } from '../../src/jobs/queue-backend.js'
import { createScheduledJobsQueue } from '../../src/jobs/scheduled/scheduled-queue.js'
import { scheduledJobs } from '../../src/jobs/scheduled/registry.js'

t.test('job runs', async (t) => {
  const { app, config, db, tenant, other, tokens: { admin } } = await setUp(t, { worker: true, other: true, env: { SCHEDULE_TIME: '07:30', SCHEDULE_TZ: 'Europe/London' } })

  t.test('who may run what', async (t) => {
    const unknown = await app.inject({ method: 'POST', url: '/v1/jobs/tidy-up/runs', headers: auth(admin), payload: {} })
    t.equal(unknown.statusCode, 404)
    const coordinator = await app.inject({ method: 'POST', url: '/v1/jobs/training-expiry-alerts/runs', headers: auth(tenant.token('coordinator')), payload: {} })
    t.equal(coordinator.statusCode, 403)
    const bad = await app.inject({ method: 'POST', url: '/v1/jobs/training-expiry-alerts/runs', headers: auth(admin), payload: { as_of: '2026-02-30', extra: 1 } })
    t.equal(bad.statusCode, 400)
    t.same(bad.json().errors.map((e: any) => e.path).sort(), ['body/as_of', 'body/extra'])
    const badId = await app.inject({ method: 'GET', url: '/v1/jobs/runs/not-a-uuid', headers: auth(admin) })
    t.equal(badId.statusCode, 400)
  })

  t.test('a run without a body is for today, and only its organisation sees it', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/v1/jobs/dbs-renewal-alerts/runs', headers: auth(admin) })
    t.equal(res.statusCode, 202, res.body)
    t.equal(res.json().status, 'queued')
    t.equal(res.json().as_of, todayLocal('Europe/London'))
    t.equal(res.headers.location, `/v1/jobs/runs/${res.json().id as string}`)
    await waitUntil(async () => (await app.inject({ method: 'GET', url: `/v1/jobs/runs/${res.json().id as string}`, headers: auth(admin) })).json().status === 'succeeded', 15_000, 'run')
    const done = (await app.inject({ method: 'GET', url: `/v1/jobs/runs/${res.json().id as string}`, headers: auth(admin) })).json()
    t.match(done.counts, { mentors_scanned: 0, alerts: 0, notifications_inserted: 0 })
    const foreign = await app.inject({ method: 'GET', url: `/v1/jobs/runs/${res.json().id as string}`, headers: auth(other.token('admin')) })
    t.equal(foreign.statusCode, 404)
  })

  t.test('daily schedulers at SCHEDULE_TIME in SCHEDULE_TZ, one per registered job', async (t) => {
    const backend = createQueueBackend(config)
    const queue = createScheduledJobsQueue(backend)
    t.teardown(async () => { await queue.close(); await backend.close() })
    const schedulers = await queue.getJobSchedulers()
    t.same(schedulers.map((s) => s.key).sort(), Object.keys(scheduledJobs).map((n) => `daily:${n}`).sort())
    for (const s of schedulers) {
      t.equal(s.pattern, '30 7 * * *')
      t.equal(s.tz, 'Europe/London')
    }
    // What a scheduler fires: a job with only a name. It runs over every organisation, for today.
    await queue.add('training-expiry-alerts', { name: 'training-expiry-alerts' })
    await waitUntil(async () => (await db.selectFrom('job_runs').select('status').where('trigger', '=', 'schedule').executeTakeFirst())?.status === 'succeeded', 15_000, 'scheduled run')
    const run = await db.selectFrom('job_runs').selectAll().where('trigger', '=', 'schedule').executeTakeFirstOrThrow()
    t.equal(run.organisation_id, null, 'every organisation')
    t.equal(run.as_of, todayLocal('Europe/London'))
  })

  t.test('every registered job runs through the API', async (t) => {
    for (const name of Object.keys(scheduledJobs)) {
      const run = await runJob(app, admin, name, '2026-06-01')
      t.equal(run.status, 'succeeded', name)
    }
  })
})
