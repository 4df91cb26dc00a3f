import t from 'tap'
import { tcpProxy } from '../support/proxy.js'
import { build, createTestDatabase, PG_PORT } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { auth, tokenFor } from '../support/tokens.js'

t.test(
  'PostgreSQL frozen under steady load: every request arriving during the freeze answers within 10 s',
  async (t) => {
    const real = await createTestDatabase(t)
    const proxy = await tcpProxy(t, PG_PORT)
    const url = new URL(real)
    url.port = String(proxy.port)
    const { app } = await build(t, { DATABASE_URL: url.toString() })
    const org = await app.inject({
      method: 'POST',
      url: '/v1/organisations',
      headers: auth(tokenFor('platform_admin', { org: null })),
      payload: { name: 'Frozen Load Org', code: 'FLO' }
    })
    const coordinator = tokenFor('coordinator', { org: org.json().id })
    await waitUntil(
      async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
      5000,
      'ready'
    )

    proxy.freeze()
    const answers: Array<Promise<{ at: number; ms: number; status: number }>> = []
    const freezeStarted = Date.now()
    // A request every 200 ms for 14 s: some wait for a connection, some get one that is frozen.
    while (Date.now() - freezeStarted < 14_000) {
      const at = Date.now() - freezeStarted
      answers.push(
        app
          .inject({ method: 'GET', url: '/v1/referrals', headers: auth(coordinator) })
          .then((res) => ({ at, ms: Date.now() - freezeStarted - at, status: res.statusCode }))
      )
      await new Promise((r) => setTimeout(r, 200))
    }
    const done = await Promise.all(answers)
    const slowest = Math.max(...done.map((a) => a.ms))
    t.comment(`${done.length} requests during the freeze; slowest answer ${slowest} ms`)
    for (const a of done) {
      t.equal(a.status, 503, `request at ${a.at} ms`)
      t.ok(a.ms < 10_000, `request at ${a.at} ms answered in ${a.ms} ms`)
    }
    proxy.thaw()
    await waitUntil(
      async () =>
        (await app.inject({ method: 'GET', url: '/v1/referrals', headers: auth(coordinator) })).statusCode === 200,
      20_000,
      'reads again'
    )
  }
)
