import { randomUUID } from 'node:crypto'
import { PassThrough } from 'node:stream'
import pg from 'pg'
import { SMTPServer } from 'smtp-server'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config, type QueueBackendKind } from '../src/config/config.js'
import { createDatabase } from '../src/db/database.js'
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.js'
import { signHs256 } from '../src/auth/dev-token.js'
import type { Role } from '../src/auth/roles.js'
import { addDays, todayIn } from '../src/lib/dates.js'

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const TEST_SECRET = 'test-secret-0123456789-0123456789-abcdef'

interface Tap { teardown: (fn: () => unknown) => void }

/** A fresh, migrated database of this test file's own, dropped when the test ends. */
export async function createTestDatabase (t: Tap): Promise<string> {
  const name = `waymark_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  await ensureDatabase(url.toString())
  const { db } = createDatabase(url.toString(), 1)
  await migrateToLatest(db)
  await db.destroy()
  t.teardown(async () => {
    const admin = new pg.Client({ connectionString: ADMIN_URL })
    await admin.connect()
    await admin.query(`drop database if exists "${name}" with (force)`)
    await admin.end()
  })
  return url.toString()
}

/**
 * The configuration of a test. Queues are on Redis unless `TEST_QUEUE_BACKEND=postgres` (an override
 * or the environment, to run the whole suite on BullMQ's PostgreSQL backend).
 */
export function testConfig (databaseUrl: string, overrides: Record<string, string> = {}): Config {
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
    ...overrides
  })
  return { ...config, queueBackend }
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  logs: string[]
}

/** The API on a fresh database, closed when the test ends. */
export async function build (t: Tap, overrides: Record<string, string> = {}): Promise<TestApp> {
  const databaseUrl = await createTestDatabase(t)
  const config = testConfig(databaseUrl, overrides)
  const logs: string[] = []
  const stream = new PassThrough()
  stream.on('data', (chunk: Buffer) => { logs.push(chunk.toString('utf8')) })
  const app = await buildApp(config, { logStream: stream })
  await app.ready()
  t.teardown(async () => { await app.close() })
  return { app, config, logs }
}

export interface TokenOptions { org?: string | null, sub?: string, mentorId?: string, email?: string, secret?: string, extra?: Record<string, unknown>, expiresIn?: number }

export function tokenFor (role: Role | Role[], opts: TokenOptions = {}): string {
  const roles = Array.isArray(role) ? role : [role]
  const claims: Record<string, unknown> = {
    sub: opts.sub ?? `${roles[0]}-${randomUUID().slice(0, 8)}`,
    roles,
    ...(opts.org !== null && opts.org !== undefined ? { org: opts.org } : {}),
    ...(opts.mentorId !== undefined ? { mentor_id: opts.mentorId } : {}),
    ...(opts.email !== undefined ? { email: opts.email } : {}),
    ...opts.extra
  }
  return signHs256(opts.secret ?? TEST_SECRET, claims, opts.expiresIn ?? 3600)
}

export const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

export interface Tenant {
  orgId: string
  code: string
  token: (role: Role | Role[], opts?: TokenOptions) => string
  programme: (rules?: Record<string, unknown>, extra?: Record<string, unknown>) => Promise<string>
}

let codeCounter = 0
/** Creates an organisation through the API and returns helpers scoped to it. */
export async function createTenant (app: FastifyInstance, code?: string): Promise<Tenant> {
  codeCounter += 1
  const orgCode = code ?? `T${String.fromCharCode(65 + (codeCounter % 26))}${String.fromCharCode(65 + Math.floor(Math.random() * 26))}${String.fromCharCode(65 + Math.floor(Math.random() * 26))}`
  const res = await app.inject({ method: 'POST', url: '/v1/organisations', headers: auth(tokenFor('platform_admin', { org: null })), payload: { name: `Org ${orgCode}`, code: orgCode } })
  if (res.statusCode !== 201) throw new Error(`organisation: ${res.statusCode} ${res.body}`)
  const orgId = res.json().id as string
  const adminToken = tokenFor('admin', { org: orgId })
  return {
    orgId,
    code: orgCode,
    token: (role, opts = {}) => tokenFor(role, { org: orgId, ...opts }),
    programme: async (rules = {}, extra = {}) => {
      const p = await app.inject({ method: 'POST', url: '/v1/programmes', headers: auth(adminToken), payload: { name: `Programme ${randomUUID().slice(0, 6)}`, kind: 'mentoring', rules, ...extra } })
      if (p.statusCode !== 201) throw new Error(`programme: ${p.statusCode} ${p.body}`)
      return p.json().id as string
    }
  }
}

/** A referral body that a permissive programme accepts; override any part. */
export function referralBody (programmeId: string, overrides: Record<string, any> = {}): Record<string, any> {
  const base = {
    programme_id: programmeId,
    young_person: {
      given_name: 'Amara', family_name: 'Okonkwo-Test', date_of_birth: '2012-03-14', gender: 'female',
      postcode: 'BR1 3AB', care_status: 'none', education_setting: { name: 'Ravens Wood School', urn: '101695' },
      school_year: 9, interests: ['football', 'drawing'], languages: ['English']
    },
    referrer: { name: 'Sam Teacher', role: 'Head of Year', organisation: 'Ravens Wood School', team: 'Pastoral', email: 'sam.teacher@school.example', is_parent_or_carer: false },
    needs: { areas: ['confidence', 'friendships'], level: 'medium', statement: 'Finding it hard to settle after a move.' },
    risks: { cin_plan: false, specialist_camhs_active: false, history_of_violence: false },
    preferences: { mentor_gender: 'female' },
    consent: {
      young_person: { given: true, recorded_on: '2026-11-01', recorded_by: 'Sam Teacher' },
      parental: { given: true, recorded_on: '2026-11-02', name: 'Ngozi Okonkwo', relationship: 'mother' }
    }
  }
  return deepMerge(base, overrides)
}

function deepMerge (a: any, b: any): any {
  if (b === undefined) return a
  if (b === null || typeof b !== 'object' || Array.isArray(b) || typeof a !== 'object' || a === null) return b
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) delete out[k]
    else out[k] = deepMerge(a[k], v)
  }
  return out
}

export interface CapturedMail { to: string[], from: string, raw: string, subject: string, messageId: string }

/** A real SMTP listener on a free port, collecting what it receives. */
export async function startSmtp (t: Tap, opts: { failTimes?: number } = {}): Promise<{ url: string, messages: CapturedMail[], waitFor: (n: number, ms?: number) => Promise<CapturedMail[]> }> {
  const messages: CapturedMail[] = []
  let failures = opts.failTimes ?? 0
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData (stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (failures > 0) {
          failures -= 1
          const err = new Error('Temporary failure') as Error & { responseCode: number }
          err.responseCode = 451
          callback(err)
          return
        }
        const raw = Buffer.concat(chunks).toString('utf8')
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          raw,
          subject: (/^Subject: (.*)$/m.exec(raw) ?? ['', ''])[1].trim(),
          messageId: (/^Message-ID: (.*)$/im.exec(raw) ?? ['', ''])[1].trim()
        })
        callback()
      })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port
  t.teardown(async () => { await new Promise<void>((resolve) => server.close(() => resolve())) })
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor: async (n, ms = 10_000) => {
      const until = Date.now() + ms
      while (messages.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 25))
      return messages
    }
  }
}

export async function waitUntil (check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Today as the API reckons it (the scheduling time zone, Europe/London by default). */
export function todayLocal (timeZone = 'Europe/London'): string {
  return todayIn(timeZone)
}

/** The date of birth of someone who turns `age` today, shifted by `days` (1: turns `age` tomorrow). */
export function birthDateForAge (age: number, days = 0, timeZone = 'Europe/London'): string {
  const [y, m, d] = todayLocal(timeZone).split('-').map((n) => Number.parseInt(n, 10))
  const year = y - age
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const day = m === 2 && d === 29 && !leap ? 28 : d
  return addDays(`${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`, days)
}
