import { randomUUID } from 'node:crypto'
import { PassThrough } from 'node:stream'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config, type QueueBackendKind } from '../../src/config/config.js'
import { createDatabase, type Database } from '../../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../../src/db/migrate.js'
import { startMailListener, type MailListener, type MailListenerOptions } from './mail.js'
import { createTenant, type Tenant } from './tenants.js'
import { TEST_SECRET } from './tokens.js'
import { startTestWorker, type TestWorker } from './worker.js'

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
/** The tests' PostgreSQL server's port (on 127.0.0.1), for the tests that put a proxy in front of it. */
export const PG_PORT = Number(new URL(ADMIN_URL).port || 5432)
/** The tests' Redis's port (on 127.0.0.1). */
export const REDIS_PORT = Number(new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379)
/**
 * Why a test about Redis itself (its outages and restarts) is skipped: `npm test` found no Redis and
 * runs every queue on PostgreSQL (scripts/test.ts). False where there is a Redis.
 */
export const NO_REDIS: string | false =
  process.env.TEST_REDIS === 'absent' ? 'no Redis here: the queues run on PostgreSQL (see scripts/test.ts)' : false

/** The URL of a database of this test's own (not created yet), dropped when the test ends. */
export function testDatabaseUrl(t: Test): string {
  const name = `waymark_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  t.teardown(async () => {
    const admin = new pg.Client({ connectionString: ADMIN_URL })
    await admin.connect()
    await admin.query(`drop database if exists "${name}" with (force)`)
    await admin.end()
  })
  return url.toString()
}

/** A fresh, migrated database of this test file's own, dropped when the test ends. */
export async function createTestDatabase(t: Test): Promise<string> {
  const url = testDatabaseUrl(t)
  await ensureDatabase(url)
  const { db } = createDatabase(url, 1)
  await migrateToLatest(db)
  await db.destroy()
  return url
}

/** A database handle for assertions, closed when the test ends. */
export function openDatabase(t: Test, url: string): Database {
  const { db } = createDatabase(url, 2)
  t.teardown(async () => {
    await db.destroy()
  })
  return db
}

/**
 * The configuration of a test. Queues are on Redis unless `TEST_QUEUE_BACKEND=postgres` (an override
 * or the environment, to run the whole suite on BullMQ's PostgreSQL backend).
 */
export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): Config {
  const queueBackend = (overrides.TEST_QUEUE_BACKEND ?? process.env.TEST_QUEUE_BACKEND ?? 'redis') as QueueBackendKind
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    QUEUE_PREFIX: `wmtest:${randomUUID().slice(0, 8)}`,
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    OUTBOX_POLL_MS: '100',
    RATE_LIMIT_MAX: '100000',
    // Loading test modules stalls the event loop for seconds on a busy machine: back-pressure is
    // tested on its own (test/operations/pressure.test.ts).
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
    // The tests' Redis: the local one (database 0, a key prefix per test file) unless TEST_REDIS_URL names another.
    ...(process.env.TEST_REDIS_URL !== undefined ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    ...overrides
  })
  return { ...config, queueBackend }
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  /** What the API logged. */
  logs: string[]
}

/** The API alone on a fresh database, closed when the test ends. */
export async function build(t: Test, overrides: Record<string, string> = {}): Promise<TestApp> {
  const databaseUrl = await createTestDatabase(t)
  const config = testConfig(databaseUrl, overrides)
  const logs: string[] = []
  const stream = new PassThrough()
  stream.on('data', (chunk: Buffer) => {
    logs.push(chunk.toString('utf8'))
  })
  const app = await buildApp(config, { logStream: stream })
  await app.ready()
  t.teardown(async () => {
    await app.close()
  })
  return { app, config, logs }
}

export interface SetUpOptions {
  /** Settings over the test defaults (SMTP_URL is set when a listener is asked for). */
  env?: Record<string, string>
  /** A real SMTP listener that the mail goes to, with the listener's options if any. */
  smtp?: boolean | MailListenerOptions
  /** The workers in this process; settings given here apply to the workers only. */
  worker?: boolean | Partial<Config>
  /** The organisation's code (made up by default). */
  code?: string
  /** A second organisation, whose records the first one must never see. */
  other?: boolean
}

export interface Opening extends TestApp {
  db: Database
  /** The organisation the test works in. */
  tenant: Tenant
  /** Tokens for the organisation's staff, each with a subject of its own. */
  tokens: { admin: string; coordinator: string; referrer: string }
}

/** What `setUp` gives: the opening, with the listener, the workers and the other organisation when asked for. */
export type SetUp<O extends SetUpOptions> = Opening &
  (O extends { smtp: true | MailListenerOptions } ? { smtp: MailListener } : unknown) &
  (O extends { worker: true | Partial<Config> } ? { worker: TestWorker } : unknown) &
  (O extends { other: true } ? { other: Tenant } : unknown)

/**
 * The opening test files share: the API on a fresh migrated database of the test's own, a database
 * handle for assertions, an organisation created through the API with tokens for its staff and,
 * when asked, a real SMTP listener, the workers and a second organisation. All closed when the test ends.
 *
 *   const { app, db, tenant, tokens: { coordinator }, smtp } = await setUp(t, { smtp: true, worker: true })
 */
export async function setUp<const O extends SetUpOptions = Record<never, never>>(
  t: Test,
  options?: O
): Promise<SetUp<O>> {
  const o: SetUpOptions = options ?? {}
  const smtp =
    o.smtp === undefined || o.smtp === false ? null : await startMailListener(t, o.smtp === true ? {} : o.smtp)
  const { app, config, logs } = await build(t, { ...(smtp !== null ? { SMTP_URL: smtp.url } : {}), ...o.env })
  const db = openDatabase(t, config.DATABASE_URL)
  const worker =
    o.worker === undefined || o.worker === false
      ? null
      : await startTestWorker(t, o.worker === true ? config : { ...config, ...o.worker })
  const tenant = await createTenant(app, o.code)
  const other = o.other === true ? await createTenant(app) : null
  const tokens = {
    admin: tenant.token('admin'),
    coordinator: tenant.token('coordinator'),
    referrer: tenant.token('referrer')
  }
  const opening: Opening & { smtp?: MailListener; worker?: TestWorker; other?: Tenant } = {
    app,
    config,
    logs,
    db,
    tenant,
    tokens
  }
  if (smtp !== null) opening.smtp = smtp
  if (worker !== null) opening.worker = worker
  if (other !== null) opening.other = other
  return opening as SetUp<O>
}
