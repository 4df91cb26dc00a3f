/**
 * Data protection at scale. (1) The daily `retention` job over 1,000,000 records past their time
 * (bar: < 60 s, memory flat, every disposal audited): declined, withdrawn and closed referrals, the
 * matches and sessions of the closed ones, and old notifications, 1% of the referrals on legal hold;
 * against the same over a tenth of the records, with peak RSS and heap growth sampled during each run.
 * (2) A subject access export of a young person with 5 referrals and 1,000 sessions, through the
 * whole stack (`GET /v1/subject-access-requests/{id}/export`, its export events written).
 *
 *   npm run bench:retention          (BENCH_RECORDS=100000 for a quick look)
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import pino from 'pino'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/config.js'
import { signHs256 } from '../src/auth/dev-token.js'
import { createDatabase } from '../src/db/database.js'
import { retention } from '../src/jobs/scheduled/retention.job.js'
import { createTenant, freshDatabase, insertReferrals, withClient, type Tenant } from './data.js'

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SECRET = 'bench-secret-0123456789-0123456789-abcdef'
const AS_OF = '2026-11-20'

const log = (msg: string): void => {
  process.stderr.write(`[bench:retention] ${msg}\n`)
}
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * About `records` rows past their time in one organisation: a tenth referrals (a third each declined,
 * withdrawn and closed in 2018), a match for each closed one, twenty weekly sessions a match (each with
 * notes), and the rest notifications of 2018. One referral in a hundred is on legal hold.
 */
async function insertPastTime(
  c: pg.Client,
  t: Tenant,
  records: number
): Promise<{ referrals: number; matches: number; sessions: number; notifications: number }> {
  await c.query('set synchronous_commit = off')
  const referrals = Math.floor(records / 10)
  await insertReferrals(c, t, referrals)
  await c.query(
    `
    with n as (select id, row_number() over (order by id) as i from referrals where organisation_id = $1)
    update referrals r set
      status = case n.i % 3 when 0 then 'declined' when 1 then 'withdrawn' else 'closed' end,
      decline = case when n.i % 3 = 0 then jsonb_build_object('reason_code', 'ineligible', 'note', 'Lives with an aunt out of area', 'declined_at', '2018-01-10T10:00:00.000Z') end,
      withdrawal = case when n.i % 3 = 1 then jsonb_build_object('reason', 'Family moved away', 'withdrawn_at', '2018-01-10T10:00:00.000Z') end,
      closed_at = case when n.i % 3 = 2 then timestamptz '2018-01-10T10:00:00Z' end,
      updated_at = timestamptz '2018-01-10T10:00:00Z'
    from n where n.id = r.id`,
    [t.orgId]
  )
  const mentor = await c.query<{ id: string }>(
    `insert into mentors (organisation_id, status, given_name, family_name, email, gender, postcode, languages, interests, availability, delivery_modes)
    values ($1::uuid, 'approved', 'Bench', 'Mentor', 'bench-mentor-' || $1::text || '@bench.example', 'female', 'BR1 3AB', '[]', '[]', '[]', '["in_person"]') returning id`,
    [t.orgId]
  )
  const matches = await c.query(
    `insert into matches (organisation_id, referral_id, mentor_id, programme_id, status, introduction, started_on, closed_on, close_reason_code, close_note, created_by)
    select $1, r.id, $2, $3, 'closed', '{"scheduled_at":"2017-06-01T16:00:00.000Z","location":"School library"}', '2017-06-01', '2018-01-10', 'planned_end', 'Moved in with grandmother', 'bench'
    from referrals r where r.organisation_id = $1 and r.status = 'closed'`,
    [t.orgId, mentor.rows[0].id, t.programmeId]
  )
  const sessions = await c.query(
    `insert into match_sessions (organisation_id, match_id, held_on, duration_minutes, location_type, attended, notes, recorded_by, recorded_role)
    select $1, m.id, date '2017-06-01' + k * 7, 60, 'library', true, 'Talked about school and home', 'bench', 'mentor'
    from matches m, generate_series(1, 20) as k where m.organisation_id = $1`,
    [t.orgId]
  )
  const rest = Math.max(0, records - referrals - (matches.rowCount ?? 0) - (sessions.rowCount ?? 0))
  await c.query(
    `insert into notifications (organisation_id, dedupe_key, kind, recipient, subject, body, subject_type, subject_id, status, created_at, updated_at)
    select $1::uuid, 'bench:' || $1::text || ':' || i, 'referral_acknowledgement', 'referrer' || (i % 50) || '@school.example', 'Referral received', 'Hello, thank you for your referral.',
      null, null, 'sent', timestamptz '2018-01-10T10:00:00Z' + make_interval(secs => i), timestamptz '2018-01-10T10:00:00Z'
    from generate_series(1, $2::int) as i`,
    [t.orgId, rest]
  )
  await c.query(
    `insert into legal_holds (organisation_id, referral_id, reason, placed_by)
    select $1, id, 'Inquiry', 'bench' from (select id, row_number() over (order by id) as i from referrals where organisation_id = $1) r where r.i % 100 = 0`,
    [t.orgId]
  )
  return { referrals, matches: matches.rowCount ?? 0, sessions: sessions.rowCount ?? 0, notifications: rest }
}

interface Run {
  ms: number
  peakRssMb: number
  heapGrowthMb: number
  liveHeapMb: number | null
  counts: Record<string, number>
  events: number
}

async function runRetention(url: string, org: string): Promise<Run> {
  const { db } = createDatabase(url, 4)
  try {
    global.gc?.()
    const baseHeap = process.memoryUsage().heapUsed
    let peakHeap = baseHeap
    let live = baseHeap
    let peakRss = process.memoryUsage().rss
    const sample = (): void => {
      const u = process.memoryUsage()
      peakHeap = Math.max(peakHeap, u.heapUsed)
      peakRss = Math.max(peakRss, u.rss)
    }
    const timer = setInterval(sample, 10)
    const gcTimer =
      global.gc === undefined
        ? null
        : setInterval(() => {
            global.gc?.()
            live = Math.max(live, process.memoryUsage().heapUsed)
          }, 250)
    const runId = randomUUID()
    const t0 = performance.now()
    const counts = await retention({
      db,
      org,
      asOf: AS_OF,
      asOfInstant: new Date(),
      timeZone: 'Europe/London',
      runId,
      log: pino({ level: 'silent' }),
      dispatch: async () => {}
    })
    const ms = performance.now() - t0
    clearInterval(timer)
    if (gcTimer !== null) clearInterval(gcTimer)
    sample()
    const events = await db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('request_id', '=', runId)
      .executeTakeFirstOrThrow()
    return {
      ms,
      peakRssMb: peakRss / 1_048_576,
      heapGrowthMb: (peakHeap - baseHeap) / 1_048_576,
      liveHeapMb: global.gc === undefined ? null : (live - baseHeap) / 1_048_576,
      counts,
      events: Number(events.n)
    }
  } finally {
    await db.destroy()
  }
}

/** A young person with 5 referrals (same name and date of birth), a match each, 200 sessions a match. */
async function insertSubject(c: pg.Client, t: Tenant): Promise<string> {
  await insertReferrals(c, t, 5)
  await c.query(
    `update referrals set young_person = young_person || '{"given_name":"Amara","family_name":"Subject","date_of_birth":"2011-05-14"}'::jsonb where organisation_id = $1`,
    [t.orgId]
  )
  const mentor = await c.query<{ id: string }>(
    `insert into mentors (organisation_id, status, given_name, family_name, email, gender, postcode, languages, interests, availability, delivery_modes)
    values ($1, 'approved', 'Bench', 'Mentor', 'sar-mentor@bench.example', 'female', 'BR1 3AB', '[]', '[]', '[]', '["in_person"]') returning id`,
    [t.orgId]
  )
  await c.query(
    `insert into matches (organisation_id, referral_id, mentor_id, programme_id, status, introduction, started_on, closed_on, close_reason_code, created_by)
    select $1, r.id, $2, $3, 'closed', '{"scheduled_at":"2021-06-01T16:00:00.000Z","location":"School library"}', '2021-06-01', '2025-01-10', 'planned_end', 'bench'
    from referrals r where r.organisation_id = $1`,
    [t.orgId, mentor.rows[0].id, t.programmeId]
  )
  await c.query(
    `insert into match_sessions (organisation_id, match_id, held_on, duration_minutes, location_type, attended, notes, recorded_by, recorded_role)
    select $1, m.id, date '2021-06-01' + k * 7, 60, 'library', true, 'Session ' || k, 'bench', 'mentor'
    from matches m, generate_series(1, 200) as k where m.organisation_id = $1`,
    [t.orgId]
  )
  const ref = await c.query<{ id: string }>('select id from referrals where organisation_id = $1 order by id limit 1', [
    t.orgId
  ])
  return ref.rows[0].id
}

async function benchExport(url: string, t: Tenant, referralId: string): Promise<string[]> {
  const runs = Number.parseInt(process.env.BENCH_ROUNDS ?? '5', 10)
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: url,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '1000000',
    PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
    QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`
  })
  const app = await buildApp(config)
  await app.ready()
  try {
    const headers = {
      authorization: `Bearer ${signHs256(SECRET, { sub: 'bench-admin', org: t.orgId, roles: ['admin'] }, 3600)}`
    }
    const created = await app.inject({
      method: 'POST',
      url: '/v1/subject-access-requests',
      headers,
      payload: {
        subject: { type: 'young_person', referral_id: referralId },
        received_on: AS_OF,
        requester: { name: 'Bench Requester', relationship: 'self' },
        identity_verified: true
      }
    })
    if (created.statusCode !== 201) throw new Error(`subject access request: ${created.statusCode} ${created.body}`)
    const id = created.json().id as string
    const times: number[] = []
    let bytes = 0
    let doc: any = null
    for (let i = 0; i < runs + 1; i++) {
      const t0 = performance.now()
      const res = await app.inject({ method: 'GET', url: `/v1/subject-access-requests/${id}/export`, headers })
      const ms = performance.now() - t0
      if (res.statusCode !== 200) throw new Error(`export: ${res.statusCode} ${res.body.slice(0, 500)}`)
      if (i > 0) times.push(ms)
      bytes = res.body.length
      doc = res.json()
    }
    const records = doc.records
    return [
      '| subject access export | referrals | matches | sessions | records (events each) | JSON | time (median of ' +
        String(runs) +
        ') | fastest |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| young person, 5 referrals, 1,000 sessions | ${String(records.referrals.length)} | ${String(records.matches.length)} | ${fmt(records.sessions.length)} | ${fmt(records.referrals.length + records.matches.length + records.sessions.length + records.goals.length + records.evaluations.length + records.safeguarding_concerns.length + doc.notifications.length)} | ${fmt(bytes / 1024)} KB | ${fmt(median(times))} ms | ${fmt(Math.min(...times))} ms |`,
      '',
      'Through the whole stack (app.inject: auth, role check, a repeatable-read transaction, one export event per record written in it, serialisation), after one warm-up.'
    ]
  } finally {
    await app.close()
  }
}

async function main(): Promise<void> {
  const records = Number.parseInt(process.env.BENCH_RECORDS ?? '1000000', 10)
  const url = await freshDatabase(ADMIN_URL, 'waymark_bench_retention')
  const [big, tenth, subject, sizes] = await withClient(url, async (c) => {
    const big = await createTenant(c, 'BRET')
    const tenth = await createTenant(c, 'BRES')
    const subject = await createTenant(c, 'BSAR')
    const t = Date.now()
    const bigSizes = await insertPastTime(c, big, records)
    const tenthSizes = await insertPastTime(c, tenth, Math.floor(records / 10))
    const referralId = await insertSubject(c, subject)
    await c.query('vacuum analyze')
    log(`${fmt(records * 1.1)} records past their time in ${fmt(Date.now() - t)} ms: ${JSON.stringify(bigSizes)}`)
    return [big, tenth, { tenant: subject, referralId }, { big: bigSizes, tenth: tenthSizes }] as const
  })

  const rows: string[] = [
    '| retention run | records past time | time | peak RSS | heap peak growth | live heap growth (after GC) | anonymised | audit events | held back | bar |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  for (const [label, t, n] of [
    ['a tenth', tenth, sizes.tenth],
    ['all', big, sizes.big]
  ] as const) {
    const total = n.referrals + n.matches + n.sessions + n.notifications
    const r = await runRetention(url, t.orgId)
    const anonymised = Object.entries(r.counts)
      .filter(([k]) => k.endsWith('_anonymised'))
      .reduce((s, [, v]) => s + v, 0)
    log(`${label}: ${fmt(r.ms)} ms ${JSON.stringify(r.counts)}`)
    rows.push(
      `| ${label === 'all' ? fmt(total) : `a tenth (${fmt(total)})`} | ${fmt(total)} | ${fmt(r.ms / 1000, 1)} s | ${fmt(r.peakRssMb)} MB | ${fmt(r.heapGrowthMb, 1)} MB | ${r.liveHeapMb === null ? 'n/a (run with --expose-gc)' : `${fmt(r.liveHeapMb, 1)} MB`} | ${fmt(anonymised)} | ${fmt(r.events)} | ${fmt(r.counts.held_skipped)} | ${label === 'a tenth' ? '' : r.ms < 60_000 && r.events === anonymised ? 'met (< 60 s, every disposal audited)' : 'NOT MET'} |`
    )
  }
  rows.push(
    '',
    'Held-back referrals keep their matches, sessions and notifications. Batches of 2,000 in their own transactions, one audit event per record in the same transaction.',
    ''
  )
  rows.push(...(await benchExport(url, subject.tenant, subject.referralId)))
  const load = (await import('node:os')).loadavg()[0]
  rows.push('', `Load average at the end: ${fmt(load, 1)} on ${String((await import('node:os')).cpus().length)} cores.`)
  process.stdout.write(`\n## bench:retention\n\n${rows.join('\n')}\n`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  }
)
