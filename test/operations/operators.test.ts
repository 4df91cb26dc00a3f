import t from 'tap'
import { build, setUp } from '../support/set-up.js'
import { referralBody } from '../support/bodies.js'
import { auth, tokenFor } from '../support/tokens.js'
import { waitUntil } from '../support/time.js'

t.test("operators' tools", async (t) => {
  // The first message is refused for good (550): it is recorded failed, and an admin sends it again.
  const {
    app,
    db,
    tenant,
    other,
    smtp,
    tokens: { admin, coordinator, referrer }
  } = await setUp(t, { smtp: { failTimes: 1, failCode: 550 }, worker: true, other: true })
  const programme = await tenant.programme()

  t.test('POST /v1/notifications/{id}/retry sends a failed message again, once', async (t) => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/referrals',
      headers: auth(referrer),
      payload: referralBody(programme)
    })
    t.equal(created.statusCode, 201, created.body)
    const row = async (): Promise<any> =>
      await db
        .selectFrom('notifications')
        .selectAll()
        .where('subject_id', '=', created.json().id)
        .executeTakeFirstOrThrow()
    await waitUntil(async () => (await row()).status === 'failed', 15_000, 'the refusal recorded')
    const id = (await row()).id as string
    const url = `/v1/notifications/${id}/retry`

    t.equal((await app.inject({ method: 'POST', url, headers: auth(coordinator) })).statusCode, 403, 'admins only')
    t.equal(
      (await app.inject({ method: 'POST', url, headers: auth(other.token('admin')) })).statusCode,
      404,
      "another organisation's is not found"
    )
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/notifications/00000000-0000-4000-8000-000000000000/retry',
          headers: auth(admin)
        })
      ).statusCode,
      404
    )

    const retried = await app.inject({ method: 'POST', url, headers: auth(admin) })
    t.equal(retried.statusCode, 202, retried.body)
    t.equal(retried.json().status, 'pending')
    t.ok(retried.json().retried_at)
    t.notOk('body' in retried.json(), 'the message text is not returned')
    const mail = await smtp.waitFor(1, 15_000)
    t.match(mail[0].subject, /BMI|T[A-Z]{2}|reference|referral/i)
    await waitUntil(async () => (await row()).status === 'sent', 15_000, 'sent')

    const again = await app.inject({ method: 'POST', url, headers: auth(admin) })
    t.equal(again.statusCode, 409)
    t.equal(again.json().reasons[0].code, 'not_failed')

    // Failed again after its retry: no second one.
    await db.updateTable('notifications').set({ status: 'failed' }).where('id', '=', id).execute()
    const twice = await app.inject({ method: 'POST', url, headers: auth(admin) })
    t.equal(twice.statusCode, 409)
    t.equal(twice.json().reasons[0].code, 'already_retried')

    // Two admins at once: one retry.
    await db
      .insertInto('notifications')
      .values({
        organisation_id: tenant.orgId,
        dedupe_key: 'ops-race',
        kind: 'test',
        recipient: 'race@example.org',
        subject: 'Race',
        body: 'Body',
        status: 'failed'
      })
      .execute()
    const raced = await db
      .selectFrom('notifications')
      .select('id')
      .where('dedupe_key', '=', 'ops-race')
      .executeTakeFirstOrThrow()
    const both = await Promise.all(
      [0, 1].map(
        async () =>
          (await app.inject({ method: 'POST', url: `/v1/notifications/${raced.id}/retry`, headers: auth(admin) }))
            .statusCode
      )
    )
    t.same(both.sort(), [202, 409])
  })

  t.test("GET /v1/jobs/runs: newest first, filtered, paged, one organisation's", async (t) => {
    const run = async (name: string): Promise<string> => {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/jobs/${name}/runs`,
        headers: auth(admin),
        payload: { as_of: '2026-06-01' }
      })
      t.equal(res.statusCode, 202, res.body)
      return res.json().id
    }
    const first = await run('dbs-renewal-alerts')
    const second = await run('training-expiry-alerts')
    const third = await run('dbs-renewal-alerts')
    await app.inject({
      method: 'POST',
      url: '/v1/jobs/dbs-renewal-alerts/runs',
      headers: auth(other.token('admin')),
      payload: {}
    })

    t.equal((await app.inject({ method: 'GET', url: '/v1/jobs/runs', headers: auth(coordinator) })).statusCode, 403)
    const all = await app.inject({ method: 'GET', url: '/v1/jobs/runs', headers: auth(admin) })
    t.equal(all.statusCode, 200, all.body)
    t.same(
      all.json().data.map((r: any) => r.id),
      [third, second, first]
    )
    t.equal(all.json().next_cursor, null)

    const byName = await app.inject({
      method: 'GET',
      url: '/v1/jobs/runs?name=dbs-renewal-alerts',
      headers: auth(admin)
    })
    t.same(
      byName.json().data.map((r: any) => r.id),
      [third, first]
    )

    await waitUntil(
      async () =>
        (await db.selectFrom('job_runs').select('status').where('id', '=', first).executeTakeFirstOrThrow()).status ===
        'succeeded',
      20_000,
      'run finished'
    )
    const succeeded = await app.inject({
      method: 'GET',
      url: '/v1/jobs/runs?status=succeeded&name=dbs-renewal-alerts',
      headers: auth(admin)
    })
    t.ok(succeeded.json().data.every((r: any) => r.status === 'succeeded'))
    t.ok(succeeded.json().data.some((r: any) => r.id === first))

    const page1 = await app.inject({ method: 'GET', url: '/v1/jobs/runs?limit=2', headers: auth(admin) })
    t.same(
      page1.json().data.map((r: any) => r.id),
      [third, second]
    )
    const page2 = await app.inject({
      method: 'GET',
      url: `/v1/jobs/runs?limit=2&cursor=${page1.json().next_cursor as string}`,
      headers: auth(admin)
    })
    t.same(
      page2.json().data.map((r: any) => r.id),
      [first]
    )
    t.equal(page2.json().next_cursor, null)

    const bad = await app.inject({ method: 'GET', url: '/v1/jobs/runs?status=lost', headers: auth(admin) })
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().errors[0].path, 'query/status')
  })

  t.test('the queue dashboard is for platform admins, with a bearer token', async (t) => {
    const none = await app.inject({ method: 'GET', url: '/admin/queues' })
    t.equal(none.statusCode, 401)
    t.match(none.headers['content-type'], /problem\+json/)
    const orgAdmin = await app.inject({ method: 'GET', url: '/admin/queues', headers: auth(admin) })
    t.equal(orgAdmin.statusCode, 403)
    t.match(orgAdmin.headers['content-type'], /problem\+json/)
    const apiRefused = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: auth(admin) })
    t.equal(apiRefused.statusCode, 403, 'its API too')

    const platform = auth(tokenFor('platform_admin', { org: null }))
    const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: platform })
    t.equal(page.statusCode, 200)
    t.match(page.headers['content-type'], /^text\/html/)
    t.match(page.headers['content-security-policy'], /script-src 'self'/)
    t.equal(page.headers['cache-control'], 'no-store')
    const queues = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: platform })
    t.equal(queues.statusCode, 200, queues.body)
    t.same(
      queues
        .json()
        .queues.map((q: any) => q.name)
        .sort(),
      ['notifications', 'scheduled-jobs', 'webhooks']
    )
  })
})

t.test('under pressure the API answers 503 with Retry-After; probes and metrics still answer', async (t) => {
  const { app } = await build(t, { PRESSURE_MAX_HEAP_USED_MB: '1', METRICS_TOKEN: 'metrics-token-0123456789abcdef' })
  const token = tokenFor('platform_admin', { org: null })
  let res = await app.inject({ method: 'GET', url: '/v1/organisation', headers: auth(token) })
  await waitUntil(
    async () => {
      res = await app.inject({
        method: 'POST',
        url: '/v1/organisations',
        headers: auth(token),
        payload: { name: 'Pressure', code: 'PRS' }
      })
      return res.statusCode === 503
    },
    5000,
    'pressure noticed'
  )
  t.equal(res.headers['retry-after'], '10')
  t.match(res.headers['content-type'], /problem\+json/)
  t.equal(res.json().code, 'service_unavailable')
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)
  t.equal(
    (await app.inject({ method: 'GET', url: '/metrics', headers: auth('metrics-token-0123456789abcdef') })).statusCode,
    200
  )
})
