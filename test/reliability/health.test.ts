import { randomUUID } from 'node:crypto'
import { createServer, connect, type Socket } from 'node:net'
import t from 'tap'
import { closedPort } from '../support/processes.js'
import { build, createTestDatabase, PG_PORT, NO_REDIS } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth, tokenFor } from '../support/tokens.js'

/** A TCP proxy to PostgreSQL that can drop every connection and refuse new ones, like a restart. */
async function pgProxy(t: {
  teardown: (fn: () => unknown) => void
}): Promise<{ port: number; down: () => Promise<void>; up: () => Promise<void>; hang: () => void }> {
  const sockets = new Set<Socket>()
  let hanging = false
  const server = createServer((client) => {
    const upstream = connect(PG_PORT, '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    client.on('data', (d) => {
      if (!hanging) upstream.write(d)
    })
    upstream.on('data', (d) => {
      client.write(d)
    })
    const end = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    port,
    hang: () => {
      hanging = true
    },
    down: async () => {
      hanging = false
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    },
    up: async () => {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    }
  }
}

t.test('live and ready', async (t) => {
  const { app, config } = await build(t)
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })
  // Ready once the first connections are up (a moment after start-up).
  let ready = await app.inject({ method: 'GET', url: '/health/ready' })
  await waitUntil(
    async () => {
      ready = await app.inject({ method: 'GET', url: '/health/ready' })
      return ready.statusCode === 200
    },
    5000,
    'ready'
  )
  t.equal(ready.statusCode, 200)
  t.same(
    ready.json(),
    config.queueBackend === 'redis'
      ? { status: 'ok', queue_backend: 'redis', checks: { postgres: 'ok', redis: 'ok' } }
      : { status: 'ok', queue_backend: 'postgres', checks: { postgres: 'ok', queues: 'ok' } }
  )
})

t.test('not ready while Redis is unreachable', { skip: NO_REDIS }, async (t) => {
  const { app } = await build(t, { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })
  const started = Date.now()
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.same(ready.json().checks, { postgres: 'ok', redis: 'unreachable' })
  t.ok(Date.now() - started < 2500, 'answers promptly')
  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200, 'still alive')
})

t.test('PostgreSQL unreachable: ready is 503 and requests are 503 problems, never 500', async (t) => {
  const { app, config } = await build(t, {
    DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/waymark_nowhere`
  })
  // Redis connects a moment after start-up (as in 'live and ready'); PostgreSQL never does.
  let ready = await app.inject({ method: 'GET', url: '/health/ready' })
  await waitUntil(
    async () => {
      ready = await app.inject({ method: 'GET', url: '/health/ready' })
      return config.queueBackend !== 'redis' || ready.json().checks.redis === 'ok'
    },
    5000,
    'Redis connected'
  )
  t.equal(ready.statusCode, 503)
  // Queues on PostgreSQL live in the same unreachable database.
  t.same(
    ready.json().checks,
    config.queueBackend === 'redis'
      ? { postgres: 'unreachable', redis: 'ok' }
      : { postgres: 'unreachable', queues: 'unreachable' }
  )
  const token = tokenFor('coordinator', { org: randomUUID() })
  const list = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })
  t.equal(list.statusCode, 503, list.body)
  t.equal(list.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(list.json().code, 'service_unavailable')
  t.ok(list.headers['retry-after'], 'says when to retry')
})

// With queues on PostgreSQL too: their pools' clients lose their connections with the rest.
for (const backend of NO_REDIS === false ? (['redis', 'postgres'] as const) : (['postgres'] as const)) {
  t.test(
    `PostgreSQL restarting under a running API (queues on ${backend}): 503 meanwhile, then recovery without a restart`,
    async (t) => {
      const real = await createTestDatabase(t)
      const proxy = await pgProxy(t)
      const url = new URL(real)
      url.port = String(proxy.port)
      const { app } = await build(t, { DATABASE_URL: url.toString(), TEST_QUEUE_BACKEND: backend })
      const org = await app.inject({
        method: 'POST',
        url: '/v1/organisations',
        headers: auth(tokenFor('platform_admin', { org: null })),
        payload: { name: 'Proxy Org', code: 'PXY' }
      })
      t.equal(org.statusCode, 201, org.body)
      const token = tokenFor('coordinator', { org: org.json().id })
      t.equal((await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })).statusCode, 200)

      // A request in flight when the server goes away.
      proxy.hang()
      const inFlight = app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })
      await new Promise((r) => setTimeout(r, 300))
      await proxy.down()
      const cut = await inFlight
      t.equal(cut.statusCode, 503, `in-flight request: ${cut.body}`)
      t.equal(cut.json().code, 'service_unavailable')

      const during = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })
      t.equal(during.statusCode, 503, during.body)
      const ready = await app.inject({ method: 'GET', url: '/health/ready' })
      t.equal(ready.statusCode, 503)

      await proxy.up()
      const after = await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(token) })
      t.equal(after.statusCode, 200, `recovered: ${after.body}`)
      await waitUntil(
        async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
        5000,
        'ready again'
      )
    }
  )
}
