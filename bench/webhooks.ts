/**
 * Webhooks under load (quality bar 8): referrals submitted at 50 a second for 30 s, each answered 201
 * once committed, and each committed change's `referral.created` event delivered to a local receiver
 * that verifies every signature with the `standardwebhooks` package. Latency is from the 201 (the
 * change committed) to the receiver's 2xx; every webhook-id is counted, so a lost or doubled event
 * shows. The API and the workers run in this process, as `npm start` runs them.
 *
 *   npm run bench:webhooks        (BENCH_QUICK=1 for a 5 s run; BENCH_RATE, BENCH_SECONDS to change the load)
 */
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { Webhook } from 'standardwebhooks'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/config.js'
import { signHs256 } from '../src/auth/dev-token.js'
import { startWorker } from '../src/worker.js'
import { createTenant, freshDatabase, withClient } from './data.js'

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SECRET = 'bench-secret-0123456789-0123456789-abcdef'
const QUICK = process.env.BENCH_QUICK === '1'
const RATE = Number(process.env.BENCH_RATE ?? 50)
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 5 : 30))

const log = (msg: string): void => {
  process.stderr.write(`[bench:webhooks] ${msg}\n`)
}
const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
const pct = (sorted: number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

const name = `waymark_bench_webhooks_${randomUUID().slice(0, 8)}`
const url = await freshDatabase(ADMIN_URL, name)
const tenant = await withClient(url, async (c) => await createTenant(c, 'BWH'))
const config = loadConfig({
  NODE_ENV: 'test',
  DATABASE_URL: url,
  JWT_SECRET: SECRET,
  LOG_LEVEL: 'warn',
  QUEUE_PREFIX: `bench-webhooks-${randomUUID().slice(0, 8)}`,
  RATE_LIMIT_MAX: '1000000',
  WEBHOOK_ALLOW_PRIVATE: 'true',
  EMBEDDED: 'never',
  PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0'
})

// The receiver: verifies each request, answers 204, and notes when each webhook-id first arrived.
const arrivals = new Map<string, number>()
const byEvent = new Map<string, string>()
let doubled = 0
let unverified = 0
let verifier: Webhook | null = null
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const at = performance.now()
    const id = String(req.headers['webhook-id'])
    try {
      const payload = verifier?.verify(Buffer.concat(chunks).toString('utf8'), {
        'webhook-id': id,
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature'])
      }) as { data: { id: string } }
      if (arrivals.has(id)) doubled += 1
      else {
        arrivals.set(id, at)
        byEvent.set(payload.data.id, id)
      }
    } catch {
      unverified += 1
    }
    res.statusCode = 204
    res.end()
  })
})
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`

const app = await buildApp(config)
await app.ready()
const worker = await startWorker(config, { logger: pino({ level: 'warn' }) })
const token = (role: string): string => signHs256(SECRET, { sub: `bench-${role}`, org: tenant.orgId, roles: [role] })
const created = await app.inject({
  method: 'POST',
  url: '/v1/webhooks',
  headers: { authorization: `Bearer ${token('integration')}` },
  payload: { url: receiverUrl, events: ['referral.created'] }
})
if (created.statusCode !== 201) throw new Error(`webhook: ${created.statusCode} ${created.body}`)
verifier = new Webhook(created.json().secret as string)

const body = (i: number): Record<string, unknown> => ({
  programme_id: tenant.programmeId,
  young_person: {
    given_name: 'Bench',
    family_name: `Person${i}`,
    date_of_birth: '2012-03-14',
    gender: 'female',
    postcode: 'BR1 3AB',
    care_status: 'none',
    school_year: 9
  },
  referrer: {
    name: 'Bench Referrer',
    role: 'Teacher',
    organisation: 'Bench School',
    email: `referrer${i}@bench.example`,
    is_parent_or_carer: false
  },
  needs: { areas: ['confidence'], level: 'medium', statement: 'Bench.' },
  risks: {},
  consent: {
    young_person: { given: true, recorded_on: '2026-11-01', recorded_by: 'Bench Referrer' },
    parental: { given: true, recorded_on: '2026-11-01', name: 'A Parent', relationship: 'mother' }
  }
})

log(`${RATE} referrals a second for ${SECONDS} s, each event to a local receiver`)
const referrer = token('referrer')
const committed = new Map<string, number>()
let refused = 0
const total = RATE * SECONDS
const started = performance.now()
const inFlight: Array<Promise<void>> = []
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / RATE
  const wait = due - performance.now()
  if (wait > 0) await sleep(wait)
  inFlight.push(
    app
      .inject({
        method: 'POST',
        url: '/v1/referrals',
        headers: { authorization: `Bearer ${referrer}` },
        payload: body(i)
      })
      .then((res) => {
        if (res.statusCode === 201) committed.set(res.json().id as string, performance.now())
        else refused += 1
      })
  )
}
await Promise.all(inFlight)
const sentFor = (performance.now() - started) / 1000
const deadline = performance.now() + 60_000
while (byEvent.size < committed.size && performance.now() < deadline) await sleep(100)
await sleep(2000) // a late duplicate would show here

const latencies: number[] = []
for (const [referralId, at] of committed) {
  const id = byEvent.get(referralId)
  if (id !== undefined) latencies.push((arrivals.get(id) as number) - at)
}
latencies.sort((a, b) => a - b)
const lost = committed.size - latencies.length
const p50 = pct(latencies, 50)
const p99 = pct(latencies, 99)
const ms = (n: number): string => (Number.isNaN(n) ? '-' : `${n.toFixed(0)} ms`)

process.stdout.write(`
Webhooks: ${RATE} referrals/s for ${SECONDS} s, referral.created to a local receiver (standardwebhooks verifying)
| measure | value |
| --- | --- |
| changes committed (201) | ${committed.size} of ${total} (${refused} refused), in ${sentFor.toFixed(1)} s |
| events delivered (unique webhook-id) | ${latencies.length} |
| lost | ${lost} |
| doubled | ${doubled} |
| failed verification | ${unverified} |
| commit to receiver 2xx, p50 | ${ms(p50)} |
| commit to receiver 2xx, p99 | ${ms(p99)} |
| commit to receiver 2xx, max | ${ms(latencies[latencies.length - 1] ?? NaN)} |
| bar: every change committed at the rate, p99 < 2 s, none lost or doubled | ${committed.size === total && p99 < 2000 && lost === 0 && doubled === 0 && unverified === 0 ? 'met' : 'NOT MET'} |
`)

await worker.close()
await app.close()
await new Promise<void>((resolve) => receiver.close(() => resolve()))
const admin = await import('pg')
const c = new admin.default.Client({ connectionString: ADMIN_URL })
await c.connect()
await c.query(`drop database if exists "${name}" with (force)`)
await c.end()
