import t from 'tap'
import { auth, tokenFor } from '../support/tokens.js'
import { tcpProxy } from '../support/proxy.js'
import { build, createTestDatabase, PG_PORT } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'

t.test('PostgreSQL frozen: requests answer 503 within 10 s, readiness says so, and all recovers on thaw', async (t) => {
  const real = await createTestDatabase(t)
  const proxy = await tcpProxy(t, PG_PORT)
  const url = new URL(real)
  url.port = String(proxy.port)
  const { app } = await build(t, { DATABASE_URL: url.toString() })
  const org = await app.inject({
    method: 'POST',
    url: '/v1/organisations',
    headers: auth(tokenFor('platform_admin', { org: null })),
    payload: { name: 'Frozen Org', code: 'FRZ' }
  })
  t.equal(org.statusCode, 201, org.body)
  const coordinator = tokenFor('coordinator', { org: org.json().id })
  const admin = tokenFor('admin', { org: org.json().id })
  const programme = (name: string): Promise<{ statusCode: number; body: string; json: () => any }> =>
    app.inject({
      method: 'POST',
      url: '/v1/programmes',
      headers: auth(admin),
      payload: { name, kind: 'mentoring', rules: {} }
    })
  t.equal((await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(coordinator) })).statusCode, 200)
  await waitUntil(
    async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
    5000,
    'ready'
  )

  proxy.freeze()
  const timed = async (
    p: Promise<{ statusCode: number; body: string; json: () => any }>
  ): Promise<{ ms: number; status: number; code: string }> => {
    const started = Date.now()
    const res = await p
    return { ms: Date.now() - started, status: res.statusCode, code: res.statusCode >= 400 ? res.json().code : '' }
  }
  // More requests than the pool has connections, reads and a write in a transaction, all at once.
  const answers = await Promise.all([
    ...Array.from(
      { length: 7 },
      async () => await timed(app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(coordinator) }))
    ),
    timed(programme('Written while frozen')),
    timed(app.inject({ method: 'GET', url: '/health/ready' }))
  ])
  const ready = answers.pop() as { ms: number; status: number }
  t.equal(ready.status, 503, 'not ready while PostgreSQL does not answer')
  t.ok(ready.ms < 2500, `readiness answers at once (${ready.ms} ms)`)
  for (const a of answers) {
    t.equal(a.status, 503, JSON.stringify(a))
    t.equal(a.code, 'service_unavailable')
    t.ok(a.ms < 10_000, `answered in ${a.ms} ms`)
  }
  const readyBody = (await app.inject({ method: 'GET', url: '/health/ready' })).json()
  t.equal(readyBody.checks.postgres, 'unreachable')

  proxy.thaw()
  await waitUntil(
    async () =>
      (await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(coordinator) })).statusCode === 200,
    15_000,
    'reads again'
  )
  await waitUntil(
    async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
    15_000,
    'ready again'
  )
  // Every connection in the pool is sound: no transaction left open by the freeze.
  const written = await Promise.all(Array.from({ length: 6 }, async (_v, i) => await programme(`After the thaw ${i}`)))
  for (const w of written) t.equal(w.statusCode, 201, w.body)
  const list = await app.inject({ method: 'GET', url: '/v1/programmes?limit=200', headers: auth(admin) })
  const names: string[] = list.json().data.map((p: { name: string }) => p.name)
  for (let i = 0; i < 6; i++) t.ok(names.includes(`After the thaw ${i}`), `programme ${i} committed`)
})
