import t from 'tap'
import { referralBody } from '../support/bodies.js'
import { build, setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth } from '../support/tokens.js'
import { post, send } from '../support/requests.js'
import { startTestWorker } from '../support/worker.js'
import { startWebhookReceiver } from '../support/webhook-receiver.js'

const body = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  url,
  events: ['referral.created'],
  ...extra
})

t.test(
  'endpoints: admin and integration manage them; the secret is shown once, and again only in an idempotent replay',
  async (t) => {
    const {
      app,
      tenant,
      tokens: { admin, coordinator, referrer }
    } = await setUp(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
    const integration = tenant.token('integration')
    const receiver = await startWebhookReceiver(t)
    for (const [who, token] of [
      ['coordinator', coordinator],
      ['referrer', referrer],
      ['mentor', tenant.token('mentor', { mentorId: '00000000-0000-0000-0000-000000000001' })]
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: auth(token),
        payload: body(receiver.url)
      })
      t.equal(res.statusCode, 403, `${who} may not add one`)
      t.equal(
        (await app.inject({ method: 'GET', url: '/v1/webhooks', headers: auth(token) })).statusCode,
        403,
        `${who} may not list them`
      )
    }
    const key = { 'idempotency-key': 'webhook-create-1' }
    const first = await post(
      app,
      integration,
      '/v1/webhooks',
      body(receiver.url, { description: 'Case system' }),
      201,
      key
    )
    t.match(first.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    t.match(first, {
      url: receiver.url,
      events: ['referral.created'],
      description: 'Case system',
      enabled: true,
      disabled_reason: null
    })
    const replay = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { ...auth(integration), ...key },
      payload: body(receiver.url, { description: 'Case system' })
    })
    t.equal(replay.statusCode, 201)
    t.equal(replay.headers['idempotent-replayed'], 'true')
    t.same(replay.json(), first, 'the first answer, secret included')
    const reused = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: { ...auth(integration), ...key },
      payload: body(receiver.url)
    })
    t.equal(reused.statusCode, 422, 'the same key with another body')
    const read = await app.inject({ method: 'GET', url: `/v1/webhooks/${first.id as string}`, headers: auth(admin) })
    t.equal(read.statusCode, 200)
    t.notOk('secret' in read.json(), 'never shown again')
    t.notMatch(read.body, /whsec_/)
    const list = await send(app, admin, 'GET', '/v1/webhooks', undefined, 200)
    t.equal(list.data.length, 1)
    t.notMatch(JSON.stringify(list), /whsec_/)
    // PATCH with If-Match
    const stale = await app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${first.id as string}`,
      headers: { ...auth(admin), 'if-match': '"nope-1"' },
      payload: { enabled: false }
    })
    t.equal(stale.statusCode, 412)
    const off = await app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${first.id as string}`,
      headers: { ...auth(admin), 'if-match': read.headers.etag as string },
      payload: { enabled: false, events: ['match.created', 'referral.created'] }
    })
    t.equal(off.statusCode, 200)
    t.match(off.json(), { enabled: false, disabled_reason: 'requested', events: ['match.created', 'referral.created'] })
    // Another organisation sees nothing of it.
    const other = await createTenant(app)
    const foreign = other.token('admin')
    for (const [method, url] of [
      ['GET', `/v1/webhooks/${first.id as string}`],
      ['GET', `/v1/webhooks/${first.id as string}/deliveries`],
      ['POST', `/v1/webhooks/${first.id as string}/ping`],
      ['POST', `/v1/webhooks/${first.id as string}/rotate-secret`],
      ['DELETE', `/v1/webhooks/${first.id as string}`]
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: auth(foreign),
        ...(method === 'POST' ? { payload: {} } : {})
      })
      t.equal(res.statusCode, 404, `${method} ${url.replace(first.id, ':id')} from another organisation`)
    }
    t.equal((await send(app, foreign, 'GET', '/v1/webhooks', undefined, 200)).data.length, 0)
    const gone = await app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${first.id as string}`,
      headers: auth(integration)
    })
    t.equal(gone.statusCode, 204)
    t.equal(
      (await app.inject({ method: 'GET', url: `/v1/webhooks/${first.id as string}`, headers: auth(integration) }))
        .statusCode,
      404
    )
  }
)

t.test('bad input: 400 or 422 problem+json naming the field', async (t) => {
  const { app, tenant } = await setUp(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
  const integration = tenant.token('integration')
  const cases: Array<[string, unknown, number, string]> = [
    ['unknown event type', { url: 'https://example.com/h', events: ['referral.deleted'] }, 400, 'body/events/0'],
    ['ping is not subscribable', { url: 'https://example.com/h', events: ['webhook.ping'] }, 400, 'body/events/0'],
    ['empty events', { url: 'https://example.com/h', events: [] }, 400, 'body/events'],
    ['no events', { url: 'https://example.com/h' }, 400, 'body/events'],
    ['events twice', { url: 'https://example.com/h', events: ['match.created', 'match.created'] }, 400, 'body/events'],
    ['malformed URL', { url: 'not a url', events: ['match.created'] }, 400, 'body/url'],
    ['an ftp URL', { url: 'ftp://example.com/h', events: ['match.created'] }, 422, 'body/url'],
    ['credentials in the URL', { url: 'https://user:pw@example.com/h', events: ['match.created'] }, 422, 'body/url'],
    [
      'a host that does not resolve',
      { url: 'https://no-such-host.invalid/h', events: ['match.created'] },
      422,
      'body/url'
    ],
    [
      'enabled as a string',
      { url: 'https://example.com/h', events: ['match.created'], enabled: 'true' },
      400,
      'body/enabled'
    ],
    ['an unknown field', { url: 'https://example.com/h', events: ['match.created'], secret: 'whsec_x' }, 400, 'body']
  ]
  for (const [what, payload, status, path] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: auth(integration),
      payload: payload as Record<string, unknown>
    })
    t.equal(res.statusCode, status, `${what}: ${status}`)
    t.match(res.headers['content-type'], /application\/problem\+json/)
    t.ok(
      (res.json().errors as Array<{ path: string }> | undefined)?.some((e) => e.path.startsWith(path)),
      `${what}: names ${path} (${res.body})`
    )
  }
  const empty = await app.inject({
    method: 'PATCH',
    url: '/v1/webhooks/00000000-0000-0000-0000-000000000000',
    headers: auth(integration),
    payload: {}
  })
  t.equal(empty.statusCode, 400)
  const badId = await app.inject({ method: 'GET', url: '/v1/webhooks/x/deliveries', headers: auth(integration) })
  t.equal(badId.statusCode, 400)
  const badStatus = await app.inject({
    method: 'GET',
    url: '/v1/webhooks/00000000-0000-0000-0000-000000000000/deliveries?status=lost',
    headers: auth(integration)
  })
  t.equal(badStatus.statusCode, 400)
})

t.test(
  'SSRF: loopback, private and link-local destinations refused (after DNS resolution); https only in production',
  async (t) => {
    const { app, tenant } = await setUp(t)
    const integration = tenant.token('integration')
    for (const url of [
      'http://127.0.0.1:8080/h',
      'https://localhost/h',
      'https://10.1.2.3/h',
      'https://172.16.0.9/h',
      'https://192.168.1.1/h',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/h',
      'https://[fd00::1]/h',
      'https://[fe80::1]/h',
      'https://[::ffff:127.0.0.1]/h',
      'https://0.0.0.0/h',
      'https://100.64.0.1/h',
      'https://2130706433/h',
      'https://0x7f.1/h'
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: auth(integration),
        payload: body(url)
      })
      t.equal(res.statusCode, 422, `${url} refused`)
      t.match(res.json(), {
        code: 'rule_refused',
        errors: [{ path: 'body/url' }],
        reasons: [{ code: 'webhook_url_refused' }]
      })
    }
    const fine = await app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: auth(integration),
      payload: body('https://8.8.8.8/hooks')
    })
    t.equal(fine.statusCode, 201, 'a public address')
    const patched = await app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${fine.json().id as string}`,
      headers: auth(integration),
      payload: { url: 'https://127.0.0.2/h' }
    })
    t.equal(patched.statusCode, 422, 'a PATCH to a loopback URL too')

    const prod = await build(t, { NODE_ENV: 'production', EMBEDDED: 'never' })
    const p = await createTenant(prod.app)
    const res = await prod.app.inject({
      method: 'POST',
      url: '/v1/webhooks',
      headers: auth(p.token('integration')),
      payload: body('http://8.8.8.8/hooks')
    })
    t.equal(res.statusCode, 422, 'http:// in production')
    t.match(res.json().errors, [{ path: 'body/url', message: 'must be an https:// URL' }])
  }
)

t.test('a deleted endpoint receives nothing, even for events already queued', async (t) => {
  const {
    app,
    db,
    config,
    tenant,
    tokens: { referrer }
  } = await setUp(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true' } })
  const integration = tenant.token('integration')
  const programmeId = await tenant.programme()
  const receiver = await startWebhookReceiver(t)
  const kept = await post(app, integration, '/v1/webhooks', body(receiver.url))
  const deleted = await post(app, integration, '/v1/webhooks', body(receiver.url.replace('/hooks', '/deleted')))
  await post(app, referrer, '/v1/referrals', referralBody(programmeId))
  t.equal((await db.selectFrom('webhook_deliveries').select('id').execute()).length, 2, 'two deliveries queued')
  t.equal(
    (await app.inject({ method: 'DELETE', url: `/v1/webhooks/${deleted.id as string}`, headers: auth(integration) }))
      .statusCode,
    204
  )
  await startTestWorker(t, config)
  await receiver.waitFor(1)
  await new Promise((r) => setTimeout(r, 1000))
  t.same(
    receiver.received.map((r) => r.path),
    ['/hooks'],
    'only the endpoint kept was called'
  )
  t.equal(
    (await send(app, integration, 'GET', `/v1/webhooks/${kept.id as string}/deliveries`, undefined, 200)).data[0]
      .status,
    'succeeded'
  )
})

t.test(
  'at delivery the destination is judged again: a worker without WEBHOOK_ALLOW_PRIVATE never calls a loopback address',
  async (t) => {
    const {
      app,
      config,
      tenant,
      tokens: { referrer }
    } = await setUp(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '60' } })
    const integration = tenant.token('integration')
    const programmeId = await tenant.programme()
    const receiver = await startWebhookReceiver(t)
    const byName = await post(app, integration, '/v1/webhooks', body(receiver.url.replace('127.0.0.1', 'localhost')))
    const byAddress = await post(app, integration, '/v1/webhooks', body(receiver.url))
    await post(app, referrer, '/v1/referrals', referralBody(programmeId))
    await startTestWorker(t, { ...config, WEBHOOK_ALLOW_PRIVATE: false })
    for (const hook of [byName, byAddress]) {
      let d: any
      const until = Date.now() + 10_000
      while (Date.now() < until) {
        d = (await send(app, integration, 'GET', `/v1/webhooks/${hook.id as string}/deliveries`, undefined, 200))
          .data[0]
        if (d.attempt > 0) break
        await new Promise((r) => setTimeout(r, 100))
      }
      t.match(
        d,
        { status: 'failed', attempt: 1, response_status: null, last_error: /loopback, private or link-local/ },
        `refused: ${hook.url as string}`
      )
    }
    t.equal(receiver.received.length, 0, 'nothing reached the receiver')
  }
)
