import { createServer, connect, type Socket } from 'node:net'
import t from 'tap'
import { auth, tokenFor } from '../support/tokens.js'
import { build, createTestDatabase } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'

/**
 * A TCP proxy to PostgreSQL that can freeze like a SIGSTOPped server: connections stay open and new
 * ones are accepted, but nothing moves either way until it thaws (bytes wait in the socket buffers).
 */
async function freezingProxy (t: { teardown: (fn: () => unknown) => void }): Promise<{ port: number, freeze: () => void, thaw: () => void }> {
  const pairs = new Set<[Socket, Socket]>()
  let frozen = false
  const server = createServer((client) => {
    const upstream = connect(5432, '127.0.0.1')
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    if (frozen) { client.pause(); upstream.pause() }
    const end = (): void => { client.destroy(); upstream.destroy(); pairs.delete(pair) }
    for (const s of pair) { s.on('close', end); s.on('error', end) }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const p of pairs) for (const s of p) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => { frozen = true; for (const p of pairs) for (const s of p) s.pause() },
    thaw: () => { frozen = false; for (const p of pairs) for (const s of p) s.resume() }
  }
}

t.test('PostgreSQL frozen: requests answer 503 within 10 s, readiness says so, and all recovers on thaw', async (t) => {
  const real = await createTestDatabase(t)
  const proxy = await freezingProxy(t)
  const url = new URL(real)
  url.port = String(proxy.port)
  const { app } = await build(t, { DATABASE_URL: url.toString() })
  const org = await app.inject({ method: 'POST', url: '/v1/organisations', headers: auth(tokenFor('platform_admin', { org: null })), payload: { name: 'Frozen Org', code: 'FRZ' } })
  t.equal(org.statusCode, 201, org.body)
  const coordinator = tokenFor('coordinator', { org: org.json().id })
  const admin = tokenFor('admin', { org: org.json().id })
  const programme = (name: string): Promise<{ statusCode: number, body: string, json: () => any }> =>
    app.inject({ method: 'POST', url: '/v1/programmes', headers: auth(admin), payload: { name, kind: 'mentoring', rules: {} } })
  t.equal((await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(coordinator) })).statusCode, 200)
  await waitUntil(async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200, 5000, 'ready')

  proxy.freeze()
  const timed = async (p: Promise<{ statusCode: number, body: string, json: () => any }>): Promise<{ ms: number, status: number, code: string }> => {
    const started = Date.now()
    const res = await p
    return { ms: Date.now() - started, status: res.statusCode, code: res.statusCode >= 400 ? res.json().code : '' }
  }
  // More requests than the pool has connections, reads and a write in a transaction, all at once.
  const answers = await Promise.all([
    ...Array.from({ length: 7 }, async () => await timed(app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(coordinator) }))),
    timed(programme('Written while frozen')),
    timed(app.inject({ method: 'GET', url: '/health/ready' }))
  ])
  const ready = answers.pop() as { ms: number, status: number }
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
  await waitUntil(async () => (await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(coordinator) })).statusCode === 200, 15_000, 'reads again')
  await waitUntil(async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200, 15_000, 'ready again')
  // Every connection in the pool is sound: no transaction left open by the freeze.
  const written = await Promise.all(Array.from({ length: 6 }, async (_v, i) => await programme(`After the thaw ${i}`)))
  for (const w of written) t.equal(w.statusCode, 201, w.body)
  const list = await app.inject({ method: 'GET', url: '/v1/programmes?limit=200', headers: auth(admin) })
  const names: string[] = list.json().data.map((p: { name: string }) => p.name)
  for (let i = 0; i < 6; i++) t.ok(names.includes(`After the thaw ${i}`), `programme ${i} committed`)
})
