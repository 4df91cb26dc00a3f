import t from 'tap'
import { build, setUp } from '../support/set-up.js'
import { createTenant } from '../support/tenants.js'
import { auth } from '../support/tokens.js'

const ALLOWED = 'https://casework.council.example'
const OTHER = 'https://evil.example'

t.test('security headers on every answer', async (t) => {
  const { app, tenant } = await setUp(t)
  const answers = {
    'a public route': await app.inject({ method: 'GET', url: '/health/live' }),
    'a 401': await app.inject({ method: 'GET', url: '/v1/referrals' }),
    'a 404': await app.inject({ method: 'GET', url: '/nowhere' }),
    'a 200 with a token': await app.inject({ method: 'GET', url: '/v1/organisation', headers: auth(tenant.token('coordinator')) })
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

  const allowed = await app.inject({ method: 'GET', url: '/v1/referrals', headers: { ...auth(token), origin: ALLOWED } })
  t.equal(allowed.statusCode, 200)
  t.equal(allowed.headers['access-control-allow-origin'], ALLOWED)
  t.match(allowed.headers['access-control-expose-headers'], /etag/)

  const other = await app.inject({ method: 'GET', url: '/v1/referrals', headers: { ...auth(token), origin: OTHER } })
  t.equal(other.statusCode, 200, 'CORS is for browsers; the server still answers')
  t.notOk(other.headers['access-control-allow-origin'], 'no allow-origin for another origin')

  const preflight = await app.inject({ method: 'OPTIONS', url: '/v1/referrals', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } })
  t.ok(preflight.statusCode < 300, `preflight ${preflight.statusCode}`)
  t.equal(preflight.headers['access-control-allow-origin'], ALLOWED)
  t.match(String(preflight.headers['access-control-allow-methods']), /POST/)

  const foreignPreflight = await app.inject({ method: 'OPTIONS', url: '/v1/referrals', headers: { origin: OTHER, 'access-control-request-method': 'POST' } })
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
  t.equal(again.statusCode, 429, 'a fresh token does not reset the same caller\'s limit')

  const other = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(calm) })
  t.equal(other.statusCode, 200, 'another caller is unaffected')
  const otherOrg = await createTenant(app).catch(() => null)
  t.ok(otherOrg !== null, 'the platform admin is unaffected too')
})
