import t from 'tap'
import { build, setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth } from '../support/tokens.js'
import { referralBody } from '../support/bodies.js'

const ALLOWED = 'https://casework.council.example'
const OTHER = 'https://evil.example'

t.test('security headers on every answer', async (t) => {
  const { app, tenant } = await setUp(t)
  const answers = {
    'a public route': await app.inject({ method: 'GET', url: '/health/live' }),
    'a 401': await app.inject({ method: 'GET', url: '/v1/referrals' }),
    'a 404': await app.inject({ method: 'GET', url: '/nowhere' }),
    'a 200 with a token': await app.inject({
      method: 'GET',
      url: '/v1/organisation',
      headers: auth(tenant.token('coordinator'))
    })
  }
  for (const [what, res] of Object.entries(answers)) {
    t.equal(res.headers['x-content-type-options'], 'nosniff', what)
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', what)
    t.match(res.headers['strict-transport-security'], /max-age=\d+/, what)
    t.equal(res.headers['referrer-policy'], 'no-referrer', what)
    t.equal(res.headers['cross-origin-resource-policy'], 'same-site', what)
    t.equal(res.headers['x-dns-prefetch-control'], 'off', what)
    t.notOk(res.headers['x-powered-by'], `${what}: no x-powered-by`)
    t.ok(res.headers['x-request-id'] !== undefined || what === 'a 404', `${what}: x-request-id`)
  }
})

t.test('CORS answers only the allowed origins', async (t) => {
  const { app, tenant } = await setUp(t, { env: { CORS_ORIGINS: `${ALLOWED}, https://other-allowed.example` } })
  const token = tenant.token('coordinator')

  const allowed = await app.inject({
    method: 'GET',
    url: '/v1/referrals',
    headers: { ...auth(token), origin: ALLOWED }
  })
  t.equal(allowed.statusCode, 200)
  t.equal(allowed.headers['access-control-allow-origin'], ALLOWED)
  t.match(allowed.headers['access-control-expose-headers'], /etag/)

  const other = await app.inject({ method: 'GET', url: '/v1/referrals', headers: { ...auth(token), origin: OTHER } })
  t.equal(other.statusCode, 200, 'CORS is for browsers; the server still answers')
  t.notOk(other.headers['access-control-allow-origin'], 'no allow-origin for another origin')

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/referrals',
    headers: {
      origin: ALLOWED,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type'
    }
  })
  t.ok(preflight.statusCode < 300, `preflight ${preflight.statusCode}`)
  t.equal(preflight.headers['access-control-allow-origin'], ALLOWED)
  t.match(String(preflight.headers['access-control-allow-methods']), /POST/)

  const foreignPreflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/referrals',
    headers: { origin: OTHER, 'access-control-request-method': 'POST' }
  })
  t.notOk(foreignPreflight.headers['access-control-allow-origin'], 'no preflight grant for another origin')
})

t.test('CORS is off when no origins are configured', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/health/live', headers: { origin: ALLOWED } })
  t.notOk(res.headers['access-control-allow-origin'])
})

t.test('rate limits are per caller', async (t) => {
  const { app, tenant } = await setUp(t, { env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW: '1 minute' } })
  const busy = tenant.token('coordinator', { sub: 'busy-coordinator' })
  const sameCallerNewToken = tenant.token('coordinator', { sub: 'busy-coordinator', extra: { jti: 'second-session' } })
  const calm = tenant.token('coordinator', { sub: 'calm-coordinator' })

  for (let i = 1; i <= 5; i++) {
    const res = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(busy) })
    t.equal(res.statusCode, 200, `request ${i}`)
  }
  const limited = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(busy) })
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.ok(limited.headers['retry-after'] !== undefined, 'retry-after')
  const body = limited.json()
  t.equal(body.status, 429)
  t.equal(body.code, 'rate_limited')
  t.ok(typeof body.type === 'string' && typeof body.title === 'string' && typeof body.detail === 'string')

  const again = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(sameCallerNewToken) })
  t.equal(again.statusCode, 429, "a fresh token does not reset the same caller's limit")

  const other = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(calm) })
  t.equal(other.statusCode, 200, 'another caller is unaffected')
  const otherOrg = await createTenant(app).catch(() => null)
  t.ok(otherOrg !== null, 'the platform admin is unaffected too')
})

t.test('a strict Content-Security-Policy on the API, a working one on /docs', async (t) => {
  const { app } = await build(t)
  const tenant = await createTenant(app)
  for (const [url, headers] of [
    ['/v1/referrals', auth(tenant.token('coordinator'))],
    ['/v1/referrals', {}],
    ['/health/live', {}],
    ['/openapi.json', {}]
  ] as const) {
    const res = await app.inject({ method: 'GET', url, headers })
    const csp = String(res.headers['content-security-policy'])
    t.match(csp, /default-src 'none'/, url)
    t.match(csp, /frame-ancestors 'none'/)
    t.match(csp, /base-uri 'none'/)
    t.match(csp, /form-action 'none'/)
  }

  const page = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  const csp = String(page.headers['content-security-policy'])
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter((d) => d !== '')
      .map((d) => {
        const [name, ...values] = d.split(/\s+/)
        return [name, values]
      })
  )
  t.same(directives.get('script-src'), ["'self'"], 'scripts only from the server itself, none inline')
  t.same(directives.get('default-src'), ["'self'"])
  t.same(directives.get('object-src'), ["'none'"])
  t.notOk(csp.includes('http'), 'no other origin')
  // What the page loads must be what the policy allows: same-origin files, no inline script.
  const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
  t.ok(scripts.length > 0)
  for (const [, attrs, inline] of scripts) {
    t.match(attrs, /src="\.?\/[^/]/, 'a same-origin script file')
    t.equal(inline.trim(), '', 'no inline script')
  }
  for (const [, href] of page.body.matchAll(/href="([^"]+)"/g)) t.match(href, /^\.?\//, `${href} is same-origin`)
  const initializer = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
  t.equal(initializer.statusCode, 200)
  t.match(initializer.body, /validatorUrl":\s*null|validatorUrl:\s*null/, 'no call to the online validator')
  const docJson = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(docJson.statusCode, 200, 'the document the page fetches (connect-src self)')
})

t.test('answers with personal data are never stored by a cache', async (t) => {
  const { app } = await build(t)
  const tenant = await createTenant(app)
  const coordinator = tenant.token('coordinator')
  const programmeId = await tenant.programme()
  const created = await app.inject({
    method: 'POST',
    url: '/v1/referrals',
    headers: auth(coordinator),
    payload: referralBody(programmeId)
  })
  t.equal(created.statusCode, 201)
  t.equal(created.headers['cache-control'], 'no-store', 'a write answering with the record')
  for (const [url, headers] of [
    [`/v1/referrals/${created.json().id as string}`, auth(coordinator)],
    ['/v1/referrals', auth(coordinator)],
    ['/v1/mentors', auth(coordinator)],
    ['/v1/referrals/00000000-0000-0000-0000-000000000000', auth(coordinator)],
    ['/v1/referrals', {}]
  ] as const) {
    const res = await app.inject({ method: 'GET', url, headers })
    t.equal(res.headers['cache-control'], 'no-store', `${url} ${res.statusCode}`)
  }
})

t.test('requests without a valid token are limited per address, before any signature check', async (t) => {
  const { app } = await build(t, { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW: '1 minute' })
  const tenant = await createTenant(app)
  const attacker = '203.0.113.7'
  const colleague = tenant.token('coordinator', { sub: 'colleague-behind-the-same-address' })
  const knownGood = tenant.token('coordinator', { sub: 'signed-in-earlier' })
  const ask = async (
    headers: Record<string, string>,
    remoteAddress = attacker,
    url = '/v1/referrals'
  ): Promise<number> => (await app.inject({ method: 'GET', url, headers, remoteAddress })).statusCode

  t.equal(await ask(auth(knownGood)), 200, 'a caller verified before the flood')
  const forged = [
    {},
    auth('not-a-token'),
    auth(tenant.token('admin', { secret: 'a-forged-secret-0123456789-0123456789' })),
    auth(tenant.token('coordinator', { expiresIn: -60 })),
    { authorization: 'Basic eDp5' }
  ]
  for (const headers of forged) t.equal(await ask(headers), 401)
  const limited = await app.inject({
    method: 'GET',
    url: '/v1/referrals',
    headers: auth('still-not-a-token'),
    remoteAddress: attacker
  })
  t.equal(limited.statusCode, 429, 'the sixth request without a valid token')
  t.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(limited.json().code, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0, 'retry-after')
  t.equal(await ask(auth(colleague)), 429, 'a token not seen before is not even verified from that address')
  t.equal(await ask(auth(knownGood)), 200, 'a caller already verified is limited as itself, not by address')
  t.equal(await ask(auth('not-a-token'), '198.51.100.20'), 401, 'another address is unaffected')
  t.equal(await ask(auth(colleague), '198.51.100.20'), 200)

  for (let i = 0; i < 8; i++) {
    for (const url of ['/health/live', '/health/ready', '/openapi.json', '/docs/json']) {
      t.equal(await ask({}, attacker, url), 200, `${url} is never limited (${i})`)
    }
  }
})

t.test('health and docs are not limited per caller either', async (t) => {
  const { app } = await build(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1 minute' })
  for (let i = 0; i < 6; i++) {
    for (const url of ['/health/live', '/openapi.json', '/docs/']) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(res.statusCode, 200, `${url} ${i}`)
      t.notOk(res.headers['x-ratelimit-limit'], `${url}: no rate-limit headers`)
    }
  }
})
