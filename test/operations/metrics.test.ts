import t from 'tap'
import { sql } from 'kysely'
import { build, setUp } from '../support/set-up.js'
import { referralBody } from '../support/bodies.js'
import { auth } from '../support/tokens.js'
import { jsonOf } from '../../src/db/json.js'

const TOKEN = 'metrics-token-0123456789abcdef'

/** Prometheus text as {`name{labels}`: value}. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

t.test('without METRICS_TOKEN there is no /metrics', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth(TOKEN) })
  t.equal(res.statusCode, 404)
})

t.test('GET /metrics', async (t) => {
  const {
    app,
    db,
    tenant,
    tokens: { referrer, admin }
  } = await setUp(t, { env: { METRICS_TOKEN: TOKEN, RATE_LIMIT_MAX: '3' } })
  const programme = await tenant.programme()
  const scrape = async (): Promise<Map<string, number>> => {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: auth(TOKEN) })
    t.equal(res.statusCode, 200, res.body)
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    return parse(res.body)
  }

  t.test('needs the token', async (t) => {
    const none = await app.inject({ method: 'GET', url: '/metrics' })
    t.equal(none.statusCode, 401)
    t.match(none.headers['content-type'], /problem\+json/)
    const wrong = await app.inject({ method: 'GET', url: '/metrics', headers: auth(`${TOKEN}x`) })
    t.equal(wrong.statusCode, 401)
    const caller = await app.inject({ method: 'GET', url: '/metrics', headers: auth(admin) })
    t.equal(caller.statusCode, 401, "a caller's token is not the metrics token")
  })

  t.test('HTTP requests and latency by route template and status', async (t) => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programme)
    })
    t.equal(created.statusCode, 201, created.body)
    await app.inject({ method: 'GET', url: `/v1/referrals/${created.json().id as string}`, headers: auth(admin) })
    const m = await scrape()
    t.equal(m.get('waymark_http_requests_total{method="POST",route="/v1/referrals",status_code="201"}'), 1)
    t.equal(
      m.get('waymark_http_requests_total{method="GET",route="/v1/referrals/:id",status_code="200"}'),
      1,
      'the route template, not the id'
    )
    t.equal(
      m.get('waymark_http_request_duration_seconds_count{method="POST",route="/v1/referrals",status_code="201"}'),
      1
    )
    t.ok(
      (m.get('waymark_http_request_duration_seconds_sum{method="POST",route="/v1/referrals",status_code="201"}') ?? 0) >
        0
    )
    t.equal(
      m.get(
        'waymark_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/v1/referrals",status_code="201"}'
      ),
      1
    )
  })

  t.test('the outbox, notifications by status, queues and the pool', async (t) => {
    // No worker runs here: the acknowledgement waits in the outbox; age one row, give up on another.
    const rows = await db
      .selectFrom('notifications')
      .select(['id'])
      .where('organisation_id', '=', tenant.orgId)
      .execute()
    t.equal(rows.length, 1)
    await sql`update notifications set created_at = now() - interval '90 seconds' where id = ${rows[0].id}`.execute(db)
    await db
      .insertInto('notifications')
      .values({
        organisation_id: tenant.orgId,
        dedupe_key: 'metrics-failed',
        kind: 'test',
        recipient: 'a@b.example',
        subject: 's',
        body: 'b',
        status: 'failed'
      })
      .execute()
    const m = await scrape()
    t.equal(m.get('waymark_outbox_backlog'), 1)
    const age = m.get('waymark_outbox_oldest_age_seconds') ?? 0
    t.ok(age >= 90 && age < 600, `oldest row age ${age}`)
    t.equal(m.get('waymark_notifications_failed'), 1)
    t.equal(m.get('waymark_notifications{status="failed"}'), 1)
    t.equal(m.get('waymark_notifications{status="pending"}'), 1)
    t.equal(m.get('waymark_notifications{status="sent"}'), 0)
    for (const status of ['pending', 'succeeded', 'failed', 'exhausted'])
      t.equal(m.get(`waymark_webhook_deliveries{status="${status}"}`), 0, `webhook deliveries ${status}`)
    t.equal(m.get('waymark_webhook_due'), 0)
    t.equal(m.get('waymark_metrics_source_up{source="webhook_deliveries"}'), 1)
    for (const queue of ['notifications', 'webhooks', 'scheduled-jobs']) {
      for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed']) {
        t.ok(m.has(`waymark_queue_jobs{queue="${queue}",state="${state}"}`), `${queue} ${state}`)
      }
      t.equal(m.get(`waymark_metrics_source_up{source="queue:${queue}"}`), 1)
    }
    t.equal(m.get('waymark_queue_depth{queue="notifications"}'), 1, "the acknowledgement's job waits for a worker")
    t.equal(m.get('waymark_db_pool_max'), 5)
    t.ok((m.get('waymark_db_pool_connections{state="total"}') ?? 0) >= 1)
    t.ok(m.has('waymark_db_pool_connections{state="waiting"}'))
    t.ok(m.has('waymark_process_heap_size_used_bytes') || m.has('waymark_process_nodejs_heap_size_used_bytes'))
  })

  t.test('job run durations', async (t) => {
    await db
      .insertInto('job_runs')
      .values({
        name: 'dbs-renewal-alerts',
        organisation_id: tenant.orgId,
        as_of: '2026-06-01',
        trigger: 'api',
        status: 'succeeded',
        counts: jsonOf({}),
        started_at: sql`now() - interval '3 seconds'`,
        finished_at: sql`now() - interval '1 second'`
      } as any)
      .execute()
    await db
      .insertInto('job_runs')
      .values({
        name: 'dbs-renewal-alerts',
        organisation_id: tenant.orgId,
        as_of: '2026-06-02',
        trigger: 'api',
        status: 'queued',
        counts: jsonOf({})
      } as any)
      .execute()
    const m = await scrape()
    t.equal(m.get('waymark_job_run_last_duration_seconds{name="dbs-renewal-alerts",status="succeeded"}'), 2)
    t.equal(m.get('waymark_job_runs{name="dbs-renewal-alerts",status="succeeded"}'), 1)
    t.equal(m.get('waymark_job_runs{name="dbs-renewal-alerts",status="queued"}'), 1)
    t.equal(m.get('waymark_job_run_duration_seconds_sum{name="dbs-renewal-alerts",status="succeeded"}'), 2)
    const finished =
      m.get('waymark_job_run_last_finished_timestamp_seconds{name="dbs-renewal-alerts",status="succeeded"}') ?? 0
    t.ok(Math.abs(finished - Date.now() / 1000) < 60)
  })

  t.test('health, docs and metrics are never rate limited', async (t) => {
    // RATE_LIMIT_MAX is 3 here: a caller is limited after three requests, these never.
    for (let i = 0; i < 8; i++) {
      for (const url of ['/metrics', '/health/live', '/health/ready', '/openapi.json']) {
        const res = await app.inject({ method: 'GET', url, headers: url === '/metrics' ? auth(TOKEN) : {} })
        t.not(res.statusCode, 429, url)
      }
    }
    const limited = []
    for (let i = 0; i < 5; i++)
      limited.push((await app.inject({ method: 'GET', url: '/v1/organisation', headers: auth(admin) })).statusCode)
    t.ok(limited.includes(429), 'a caller is limited')
  })
})
