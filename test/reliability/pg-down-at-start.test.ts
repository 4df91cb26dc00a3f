import t from 'tap'
import { closedPort, serviceEnv, spawnService } from '../support/processes.js'
import { tcpProxy } from '../support/proxy.js'
import { testDatabaseUrl, PG_PORT } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'

/** The test's own database URL (not created yet), reached through `port`. */
function databaseAt(t: Parameters<typeof testDatabaseUrl>[0], port: number): string {
  const url = new URL(testDatabaseUrl(t))
  url.port = String(port)
  return url.toString()
}

const STACK_LINE = /^\s+at .+\(?.*:\d+:\d+\)?$/m

t.test(
  'PostgreSQL down at start-up: the process waits, saying so with DATABASE_URL, and gives up cleanly when the setting says',
  async (t) => {
    const port = await closedPort()
    const started = Date.now()
    const child = spawnService(
      t,
      'api',
      serviceEnv(
        { databaseUrl: databaseAt(t, port), smtpUrl: 'smtp://127.0.0.1:1', port: await closedPort() },
        { DATABASE_CONNECT_TIMEOUT_MS: '3000' }
      )
    )
    const first = await child.waitForLine(/does not answer/, 30_000)
    t.match(
      first.msg,
      new RegExp(
        `PostgreSQL at DATABASE_URL 127\\.0\\.0\\.1:${port}/waymark_test_\\w+ does not answer \\(ECONNREFUSED\\); trying again in`
      )
    )
    t.equal(first.setting, 'DATABASE_URL')
    const exit = await child.exited
    const took = Date.now() - started
    t.equal(exit.code, 1, 'exits 1 once the wait is over')
    const out = child.output()
    t.ok((out.match(/does not answer/g) ?? []).length >= 2, 'tried more than once')
    t.match(
      out,
      /cannot start: PostgreSQL at DATABASE_URL .* did not answer within 3 s \(ECONNREFUSED\): check DATABASE_URL/
    )
    t.notMatch(out, STACK_LINE, 'no stack trace')
    t.notMatch(out, /postgres@/, 'no credentials or user in the messages')
    t.ok(took >= 3000, `waited the 3 s it was given (${took} ms)`)
  }
)

t.test(
  'PostgreSQL that comes up during the wait: the process starts and becomes ready without a restart',
  async (t) => {
    const proxy = await tcpProxy(t, PG_PORT, { port: await closedPort(), listen: false })
    const httpPort = await closedPort()
    const child = spawnService(
      t,
      'api',
      serviceEnv({ databaseUrl: databaseAt(t, proxy.port), smtpUrl: 'smtp://127.0.0.1:1', port: httpPort })
    )
    await child.waitForLine(/does not answer/, 30_000)
    await new Promise((r) => setTimeout(r, 1500))
    await proxy.up()
    await child.waitForLine(/waymark ready/, 60_000)
    await waitUntil(
      async () => (await fetch(`http://127.0.0.1:${httpPort}/health/ready`).catch(() => null))?.status === 200,
      10_000,
      'ready'
    )
    t.notMatch(child.output(), STACK_LINE, 'no stack trace')
  }
)

t.test('PostgreSQL frozen at start-up: each try is bounded, the wait ends when the setting says', async (t) => {
  const proxy = await tcpProxy(t, PG_PORT)
  proxy.freeze()
  const started = Date.now()
  const child = spawnService(
    t,
    'api',
    serviceEnv(
      { databaseUrl: databaseAt(t, proxy.port), smtpUrl: 'smtp://127.0.0.1:1', port: await closedPort() },
      { DATABASE_CONNECT_TIMEOUT_MS: '2000' }
    )
  )
  const exit = await Promise.race([
    child.exited,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 40_000))
  ])
  t.not(exit, null, `gave up rather than hang (${Date.now() - started} ms)`)
  t.equal(exit?.code, 1)
  t.match(child.output(), /cannot start: PostgreSQL at DATABASE_URL .* did not answer within 2 s/)
  t.notMatch(child.output(), STACK_LINE, 'no stack trace')
})
