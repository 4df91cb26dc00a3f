import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startHeartbeat } from '../../src/health-file.js'
import { tcpProxy } from '../support/proxy.js'
import { createTestDatabase, testConfig, PG_PORT, REDIS_PORT, NO_REDIS } from '../support/set-up.js'
import { waitUntil } from '../support/time.js'
import { startTestWorker } from '../support/worker.js'

t.test("the worker's HEALTH_FILE is touched only while PostgreSQL and Redis answer", { skip: NO_REDIS }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'waymark-health-'))
  t.teardown(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  const file = path.join(dir, 'healthy')
  const pgProxy = await tcpProxy(t, PG_PORT)
  const redisProxy = await tcpProxy(t, REDIS_PORT)
  const url = new URL(await createTestDatabase(t))
  url.port = String(pgProxy.port)
  const worker = await startTestWorker(
    t,
    testConfig(url.toString(), { REDIS_URL: `redis://127.0.0.1:${redisProxy.port}` })
  )
  const stop = startHeartbeat(file, worker.healthy, 200)
  t.teardown(stop)

  const touched = async (): Promise<number> => (await stat(file).catch(() => null))?.mtimeMs ?? 0
  /** The file is touched again within a few beats. */
  const fresh = async (what: string): Promise<void> => {
    const before = await touched()
    await waitUntil(async () => (await touched()) > before, 5000, `${what}: touched again`)
  }
  /** The file is not touched for `ms` (a check that began before the fault may still land first). */
  const stale = async (ms: number): Promise<boolean> => {
    await new Promise((r) => setTimeout(r, 500))
    const before = await touched()
    await new Promise((r) => setTimeout(r, ms))
    return (await touched()) === before
  }

  await fresh('all up')
  t.pass('touched while both answer')

  await redisProxy.down()
  t.ok(await stale(4000), 'not touched while Redis is down')
  await redisProxy.up()
  await fresh('Redis back')
  t.pass('touched again once Redis answers')

  pgProxy.freeze()
  t.ok(await stale(4000), 'not touched while PostgreSQL is frozen')
  pgProxy.thaw()
  await fresh('PostgreSQL thawed')
  t.pass('touched again once PostgreSQL answers')

  await pgProxy.down()
  t.ok(await stale(3000), 'not touched while PostgreSQL is down')
  await pgProxy.up()
  await waitUntil(
    async () => {
      const b = await touched()
      await new Promise((r) => setTimeout(r, 400))
      return (await touched()) > b
    },
    10_000,
    'PostgreSQL back'
  )
  t.pass('touched again once PostgreSQL is back')
})
