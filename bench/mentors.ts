/**
 * Mentors at scale. (1) The daily alert scans over 100,000 mentors (bar: < 10 s a run, memory flat):
 * `training-expiry-alerts` and `dbs-renewal-alerts`, cold (alerts written in bulk) and again the same
 * day (nothing new), with the heap's peak growth and the peak RSS sampled during the run, against a
 * run over a tenth of the mentors. (2) `GET /v1/mentors/{id}/compliance` throughput against
 * `GET /v1/referrals/{id}` on the same server, in interleaved rounds (autocannon in its own process).
 *
 *   npx tsx bench/mentors.ts        (BENCH_MENTORS=20000 BENCH_SECONDS=3 for a quick look)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import pino from 'pino'
import { signHs256 } from '../src/auth/dev-token.js'
import { createDatabase } from '../src/db/database.js'
import { addMonths } from '../src/lib/dates.js'
import { trainingExpiryAlerts } from '../src/jobs/scheduled/training-expiry.job.js'
import { dbsRenewalAlerts } from '../src/jobs/scheduled/dbs-renewal.job.js'
import type { ScheduledJobHandler } from '../src/jobs/scheduled/context.js'
import { INSERT_BATCH, SCAN_BATCH } from '../src/jobs/scheduled/mentor-alerts.js'
import { createTenant, freshDatabase, insertReferrals, withClient, type Tenant } from './data.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const AS_OF = '2026-11-20'
const SECRET = 'bench-secret-0123456789-0123456789-abcdef'

const log = (msg: string): void => {
  process.stderr.write(`[bench:mentors] ${msg}\n`)
}
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const sleep = async (ms: number): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/**
 * `count` approved mentors with complete vetting, two coordinators, and dates spread so that on
 * AS_OF about one mentor in twelve has a safeguarding training within 30 days of lapsing (or just
 * lapsed), and a similar share a DBS renewal or Update Service status check coming due.
 */
export async function insertMentors(c: pg.Client, t: Tenant, count: number, asOf: string): Promise<void> {
  await c.query('set synchronous_commit = off')
  const tag = t.orgId.slice(0, 8)
  await c.query(
    `insert into users (organisation_id, email, name, roles) values
    ($1, 'coord1-' || $2 || '@bench.example', 'Coordinator One', '{coordinator}'),
    ($1, 'coord2-' || $2 || '@bench.example', 'Coordinator Two', '{coordinator}')`,
    [t.orgId, tag]
  )
  await c.query(
    `
    insert into mentors (organisation_id, status, given_name, family_name, email, gender, postcode, languages, interests, availability, delivery_modes, approved_at, created_at)
    select $1::uuid, 'approved', 'Mentor', 'M' || i, 'mentor' || i || '-' || $3 || '@bench.example', case when i % 2 = 0 then 'female' else 'male' end,
      'BR1 3AB', '["English"]', '["football","music"]', '[{"day":"tue","part":"evening"}]', '["in_person"]', now(),
      timestamptz '2026-01-01T00:00:00Z' + make_interval(secs => i)
    from generate_series(1, $2::int) as i`,
    [t.orgId, count, tag]
  )
  const m = 'select id, row_number() over (order by id) as i from mentors where organisation_id = $1'
  await c.query(
    `insert into mentor_programmes (mentor_id, programme_id) select id, $2 from mentors where organisation_id = $1`,
    [t.orgId, t.programmeId]
  )
  await c.query(
    `with m as (${m}) insert into mentor_interviews (mentor_id, held_on, interviewer, outcome, recorded_by) select id, '2024-01-10', 'Bench Lead', 'passed', 'bench' from m`,
    [t.orgId]
  )
  await c.query(
    `with m as (${m}) insert into mentor_references (mentor_id, referee_name, relationship, requested_on, received_on, satisfactory, recorded_by)
    select id, 'Referee ' || k, 'employer', '2024-01-02', '2024-01-09', true, 'bench' from m, generate_series(1, 2) as k`,
    [t.orgId]
  )
  // Safeguarding completed over the two years before AS_OF: expiries spread over a year either side.
  await c.query(
    `with m as (${m}) insert into mentor_trainings (mentor_id, kind, completed_on, hours, provider, recorded_by)
    select id, 'initial', '2024-01-15', 6, 'Programme team', 'bench' from m
    union all
    select id, 'safeguarding', $2::date - ((i * 7919) % 730)::int, 3, 'NSPCC', 'bench' from m`,
    [t.orgId, asOf]
  )
  // DBS issued over the three years before AS_OF; one in four on the Update Service with a status check.
  await c.query(
    `with m as (${m}) insert into mentor_dbs_checks (mentor_id, level, workforce, certificate_number, issued_on, update_service_subscribed, update_service_subscription_id, outcome, recorded_by)
    select id, 'enhanced_with_barred_list_children', 'child', lpad(i::text, 12, '0'), $2::date - ((i * 104729) % 1095)::int, i % 4 = 0,
      case when i % 4 = 0 then 'C' || i end, 'clear', 'bench' from m`,
    [t.orgId, asOf]
  )
  await c.query(
    `insert into mentor_dbs_status_checks (dbs_check_id, checked_on, result, recorded_by)
    select d.id, greatest(d.issued_on, $2::date - ((abs(hashtext(d.id::text)) % 365))::int), 'no_change', 'bench'
    from mentor_dbs_checks d join mentors m on m.id = d.mentor_id where m.organisation_id = $1 and d.update_service_subscribed`,
    [t.orgId, asOf]
  )
}

interface Scan {
  ms: number
  peakHeapMb: number
  liveHeapMb: number | null
  peakRssMb: number
  counts: Record<string, number>
}

/**
 * Runs one scan in this process, sampling memory every 10 ms (peak heap growth and peak RSS). With
 * --expose-gc it also collects every 250 ms and keeps the largest live heap seen: the measure of
 * "memory flat" that garbage not yet collected cannot blur.
 */
async function scan(url: string, handler: ScheduledJobHandler, org: string, asOf: string): Promise<Scan> {
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
    const t0 = performance.now()
    const counts = await handler({
      db,
      org,
      asOf,
      asOfInstant: new Date(),
      timeZone: 'Europe/London',
      runId: randomUUID(),
      log: pino({ level: 'silent' }),
      dispatch: async () => {}
    })
    const ms = performance.now() - t0
    clearInterval(timer)
    if (gcTimer !== null) clearInterval(gcTimer)
    sample()
    return {
      ms,
      peakHeapMb: (peakHeap - baseHeap) / 1_048_576,
      liveHeapMb: global.gc === undefined ? null : (live - baseHeap) / 1_048_576,
      peakRssMb: peakRss / 1_048_576,
      counts
    }
  } finally {
    await db.destroy()
  }
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => {
        resolve(port)
      })
    })
  })
}

function node(file: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, file), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

async function load(job: {
  url: string
  connections: number
  duration: number
  headers: Record<string, string>
  paths: string[]
}): Promise<{ rps: number; p50: number; p99: number; non2xx: number; errors: number }> {
  const file = path.join(tmpdir(), `waymark-bench-mentors-${randomUUID()}.json`)
  writeFileSync(file, JSON.stringify(job))
  const child = node('bench/load.ts', [file], {})
  let out = ''
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8')
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  rmSync(file, { force: true })
  if (code !== 0) throw new Error('load generator failed')
  return JSON.parse(out.trim().split('\n').pop() as string)
}

async function throughput(url: string, tenant: Tenant, mentorIds: string[], referralIds: string[]): Promise<string[]> {
  const seconds = Number.parseInt(process.env.BENCH_SECONDS ?? '10', 10)
  const rounds = Number.parseInt(process.env.BENCH_ROUNDS ?? '3', 10)
  const port = await freePort()
  const server = node('src/main.ts', ['api'], {
    DATABASE_URL: url,
    JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    RATE_LIMIT_MAX: '100000000',
    QUEUE_PREFIX: `bench-mentors-${randomUUID().slice(0, 8)}`
  })
  const output: string[] = []
  server.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  server.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')))
  try {
    const base = `http://127.0.0.1:${port}`
    const started = Date.now()
    for (;;) {
      if (server.exitCode !== null) throw new Error(`server exited: ${output.join('').slice(-2000)}`)
      try {
        if ((await fetch(`${base}/health/ready`)).status === 200) break
      } catch {
        /* starting */
      }
      if (Date.now() - started > 60_000) throw new Error('server not ready')
      await sleep(50)
    }
    const token = signHs256(SECRET, { sub: 'bench-coordinator', org: tenant.orgId, roles: ['coordinator'] }, 3600)
    const headers = { authorization: `Bearer ${token}` }
    const targets = [
      {
        label: 'GET /v1/mentors/{id}/compliance',
        paths: mentorIds.map((id) => `/v1/mentors/${id}/compliance?as_of=${AS_OF}`)
      },
      { label: 'GET /v1/referrals/{id}', paths: referralIds.map((id) => `/v1/referrals/${id}`) }
    ]
    for (const tg of targets) await load({ url: base, connections: 32, duration: 2, headers, paths: tg.paths })
    const results = new Map<string, Array<{ rps: number; p50: number; p99: number; bad: number }>>()
    for (let r = 0; r < rounds; r++) {
      for (const tg of r % 2 === 0 ? targets : [...targets].reverse()) {
        const res = await load({ url: base, connections: 32, duration: seconds, headers, paths: tg.paths })
        results.set(tg.label, [
          ...(results.get(tg.label) ?? []),
          { rps: res.rps, p50: res.p50, p99: res.p99, bad: res.non2xx + res.errors }
        ])
        log(`${tg.label} round ${r + 1}: ${fmt(res.rps)} req/s`)
      }
    }
    const rows = [
      '| endpoint (same server, interleaved) | req/s (median) | p50 | p99 | failed | ratio |',
      '| --- | --- | --- | --- | --- | --- |'
    ]
    const refRps = median((results.get(targets[1].label) ?? []).map((x) => x.rps))
    for (const tg of targets) {
      const xs = results.get(tg.label) ?? []
      const rps = median(xs.map((x) => x.rps))
      rows.push(
        `| ${tg.label} | ${fmt(rps)} | ${fmt(median(xs.map((x) => x.p50)))} ms | ${fmt(median(xs.map((x) => x.p99)))} ms | ${fmt(xs.reduce((s, x) => s + x.bad, 0))} | ${fmt(rps / refRps, 2)}x |`
      )
    }
    rows.push(
      '',
      `${rounds} interleaved rounds of ${seconds} s, autocannon (32 connections) in its own process; the compliance GET reads the mentor's vetting records (one query, six indexed subqueries) and evaluates every programme's checks.`
    )
    return rows
  } finally {
    server.kill('SIGTERM')
    await Promise.race([new Promise((resolve) => server.once('exit', resolve)), sleep(12_000)])
    if (server.exitCode === null) server.kill('SIGKILL')
  }
}

export async function benchMentors(mentors = 100_000): Promise<string[]> {
  const url = await freshDatabase(ADMIN_URL, 'waymark_bench_mentors')
  const small = Math.floor(mentors / 10)
  const [big, tenth, mentorIds, referralIds] = await withClient(url, async (c) => {
    const big = await createTenant(c, 'BMEN')
    const tenth = await createTenant(c, 'BMES')
    const t = Date.now()
    await insertMentors(c, big, mentors, AS_OF)
    await insertMentors(c, tenth, small, AS_OF)
    await insertReferrals(c, big, 10_000)
    await c.query('vacuum analyze')
    log(`${fmt(mentors + small)} mentors with vetting records in ${fmt(Date.now() - t)} ms`)
    const m = await c.query<{ id: string }>(
      'select id from mentors where organisation_id = $1 order by random() limit 1000',
      [big.orgId]
    )
    const r = await c.query<{ id: string }>(
      'select id from referrals where organisation_id = $1 order by random() limit 1000',
      [big.orgId]
    )
    return [big, tenth, m.rows.map((x) => x.id), r.rows.map((x) => x.id)] as const
  })

  const rows: string[] = [
    '| scan | mentors | time | live heap growth (after GC) | heap peak growth | peak RSS | alerts | notifications inserted | bar |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  const row = (name: string, n: number, s: Scan, bar: string): void => {
    rows.push(
      `| ${name} | ${fmt(n)} | ${fmt(s.ms)} ms | ${s.liveHeapMb === null ? 'n/a' : `${fmt(s.liveHeapMb, 1)} MB`} | ${fmt(s.peakHeapMb, 1)} MB | ${fmt(s.peakRssMb)} MB | ${fmt(s.counts.alerts)} | ${fmt(s.counts.notifications_inserted)} | ${bar} |`
    )
    log(`${name}: ${fmt(s.ms)} ms, ${JSON.stringify(s.counts)}`)
  }
  const flatness: string[] = []
  for (const [name, handler] of [
    ['training-expiry-alerts', trainingExpiryAlerts],
    ['dbs-renewal-alerts', dbsRenewalAlerts]
  ] as const) {
    const tenthRun = await scan(url, handler, tenth.orgId, AS_OF)
    row(`${name}, a tenth`, small, tenthRun, '')
    const cold = await scan(url, handler, big.orgId, AS_OF)
    row(`${name}, cold`, mentors, cold, `< 10 s: ${cold.ms < 10_000 ? 'met' : 'NOT met'}`)
    const again = await scan(url, handler, big.orgId, AS_OF)
    row(
      `${name}, same day again`,
      mentors,
      again,
      `< 10 s, 0 new: ${again.ms < 10_000 && again.counts.notifications_inserted === 0 ? 'met' : 'NOT met'}`
    )
    const next = await scan(url, handler, big.orgId, addMonths(AS_OF, 1))
    row(`${name}, a month later`, mentors, next, `< 10 s: ${next.ms < 10_000 ? 'met' : 'NOT met'}`)
    // Flat: the live heap over ten times the mentors grows by less than half as much again (batches, not one array).
    const flat =
      cold.liveHeapMb !== null && tenthRun.liveHeapMb !== null
        ? cold.liveHeapMb < Math.max(tenthRun.liveHeapMb * 1.5, tenthRun.liveHeapMb + 8)
        : cold.peakHeapMb < Math.max(tenthRun.peakHeapMb * 2, tenthRun.peakHeapMb + 16)
    const measure =
      cold.liveHeapMb !== null ? 'live heap growth' : 'peak heap growth (run with --expose-gc for the live heap)'
    flatness.push(
      `${name}: ${measure} ${fmt(cold.liveHeapMb ?? cold.peakHeapMb, 1)} MB over ${fmt(mentors)} mentors against ${fmt(tenthRun.liveHeapMb ?? tenthRun.peakHeapMb, 1)} MB over ${fmt(small)}: ${flat ? `flat (keyset batches of ${fmt(SCAN_BATCH)}, inserts of ${fmt(INSERT_BATCH)} rows)` : 'NOT flat'}.`
    )
  }
  rows.push('', ...flatness, '')
  rows.push(...(await throughput(url, big, mentorIds, referralIds)))
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (global.gc === undefined) {
    // Again with --expose-gc, so that the live heap can be measured.
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      env: process.env
    })
    child.on('exit', (code) => {
      process.exit(code ?? 1)
    })
  } else {
    const n = Number.parseInt(process.env.BENCH_MENTORS ?? '100000', 10)
    benchMentors(n)
      .then((rows) => {
        process.stdout.write(`${rows.join('\n')}\n`)
        process.exit(0)
      })
      .catch((err: unknown) => {
        process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
        process.exit(1)
      })
  }
}
