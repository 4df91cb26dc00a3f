/**
 * The `evaluation-reminders` job over 100,000 matches (bar: < 10 s a run, memory flat). Data made
 * with generate_series: matches started over the last two years, some paused or closed. Runs: the
 * first (every schedule materialised and every outstanding evaluation reminded, the worst case), the
 * same day again (nothing new), then daily runs once most evaluations are recorded (steady state). Memory: the heap's peak growth during the run, against a
 * run over a tenth of the matches; batches keep it the same.
 *
 *   npx tsx bench/evaluations.ts        (BENCH_MATCHES=20000 for a quick look)
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type pg from 'pg'
import pino from 'pino'
import { createDatabase } from '../src/db/database.js'
import { addDays } from '../src/lib/dates.js'
import { runEvaluationReminders } from '../src/jobs/scheduled/evaluation-reminders.job.js'
import { createTenant, freshDatabase, insertReferrals, withClient, type Tenant } from './data.js'

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const AS_OF = '2026-11-20'

const log = (msg: string): void => {
  process.stderr.write(`[bench:evaluations] ${msg}\n`)
}
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** Staff, mentors and `count` matches (with their status history) over the tenant's referrals. */
export async function insertMatches(c: pg.Client, t: Tenant, count: number, asOf: string): Promise<void> {
  await c.query('set synchronous_commit = off')
  await c.query(
    `insert into users (organisation_id, email, name, roles) values
    ($1, 'coord1-' || $2 || '@bench.example', 'Coordinator One', '{coordinator}'),
    ($1, 'coord2-' || $2 || '@bench.example', 'Coordinator Two', '{coordinator}'),
    ($1, 'admin-' || $2 || '@bench.example', 'Admin', '{admin}')`,
    [t.orgId, t.orgId.slice(0, 8)]
  )
  const mentors = Math.max(1, Math.floor(count / 5))
  await c.query(
    `
    insert into mentors (organisation_id, status, given_name, family_name, email, gender, postcode, capacity)
    select $1::uuid, 'approved', 'Mentor', 'M' || i, 'mentor' || i || '-' || $3 || '@bench.example', 'female', 'BR1 3AB', 5
    from generate_series(1, $2::int) as i`,
    [t.orgId, mentors, t.orgId.slice(0, 8)]
  )
  // Referral i gets match i: mentor i mod mentors; started up to two years ago; 1 in 20 closed, 1 in 20 paused.
  await c.query(
    `
    with r as (select id, row_number() over (order by id) as i from referrals where organisation_id = $1 limit $2),
    m as (select id, row_number() over (order by id) as j from mentors where organisation_id = $1)
    insert into matches (organisation_id, referral_id, mentor_id, programme_id, status, introduction, started_on, paused_at, closed_on, close_reason_code, created_by, created_at)
    select $1, r.id, m.id, $3,
      case when r.i % 20 = 0 then 'closed' when r.i % 20 = 1 then 'paused' else 'active' end,
      '{"scheduled_at":"2025-01-01T10:00:00Z","location":"School library"}'::jsonb,
      $4::date - (r.i % 730)::int,
      case when r.i % 20 = 1 then $4::date - ((r.i % 730) / 2)::int end,
      case when r.i % 20 = 0 then $4::date - ((r.i % 730) / 3)::int end,
      case when r.i % 20 = 0 then 'planned_end' end,
      'bench', ($4::date - (r.i % 730)::int - 20)::timestamptz
    from r join m on m.j = 1 + (r.i % $5)`,
    [t.orgId, count, t.programmeId, asOf, mentors]
  )
  await c.query(
    `
    insert into match_status_history (match_id, from_status, to_status, on_date, actor_id, actor_role)
    select id, 'proposed', 'active', started_on, 'bench', 'coordinator' from matches where organisation_id = $1
    union all
    select id, 'active', 'paused', paused_at, 'bench', 'coordinator' from matches where organisation_id = $1 and status = 'paused'
    union all
    select id, 'active', 'closed', closed_on, 'bench', 'coordinator' from matches where organisation_id = $1 and status = 'closed'`,
    [t.orgId]
  )
}

interface Measured {
  ms: number
  peakHeapMb: number
  counts: Record<string, number>
}

async function measure(url: string, org: string, asOf: string): Promise<Measured> {
  const { db } = createDatabase(url, 4)
  try {
    global.gc?.()
    const base = process.memoryUsage().heapUsed
    let peak = base
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed)
    }, 10)
    const t0 = performance.now()
    let phases = ''
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          phases = JSON.stringify((JSON.parse(line) as { ms?: unknown }).ms ?? '')
        }
      }
    )
    const counts = await runEvaluationReminders({
      db,
      org,
      asOf,
      asOfInstant: new Date(),
      timeZone: 'Europe/London',
      runId: randomUUID(),
      log: logger,
      dispatch: async () => {}
    })
    const ms = performance.now() - t0
    clearInterval(timer)
    peak = Math.max(peak, process.memoryUsage().heapUsed)
    log(`phases (ms): ${phases}`)
    return { ms, peakHeapMb: (peak - base) / 1_048_576, counts }
  } finally {
    await db.destroy()
  }
}

export async function benchEvaluations(matches = 100_000): Promise<string[]> {
  const url = await freshDatabase(ADMIN_URL, 'waymark_bench_evaluations')
  const small = Math.floor(matches / 10)
  const [big, tenth] = await withClient(url, async (c) => {
    const big = await createTenant(c, 'BEVA')
    const tenth = await createTenant(c, 'BEVB')
    let t = Date.now()
    await insertReferrals(c, big, matches)
    await insertReferrals(c, tenth, small)
    await insertMatches(c, big, matches, AS_OF)
    await insertMatches(c, tenth, small, AS_OF)
    await c.query('vacuum analyze')
    log(`${fmt(matches + small)} matches with referrals, mentors and history in ${fmt(Date.now() - t)} ms`)
    t = Date.now()
    return [big, tenth]
  })

  const rows: string[] = [
    '| run | matches | time | heap peak growth | evaluations added | reminders due | notifications written | bar |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  const row = (name: string, n: number, m: Measured, bar: string): void => {
    rows.push(
      `| ${name} | ${fmt(n)} | ${fmt(m.ms)} ms | ${fmt(m.peakHeapMb, 1)} MB | ${fmt(m.counts.evaluations_added)} | ${fmt(m.counts.reminders_due)} | ${fmt(m.counts.notifications_created)} | ${bar} |`
    )
    log(`${name}: ${fmt(m.ms)} ms, ${JSON.stringify(m.counts)}`)
  }
  // The first run after the feature arrives materialises every schedule and reminds of every
  // outstanding evaluation at once (in this data, about half the matches owe one): the worst case.
  const smallCold = await measure(url, tenth.orgId, AS_OF)
  row('first run (backfill), a tenth of the matches', small, smallCold, '')
  const cold = await measure(url, big.orgId, AS_OF)
  row(
    'first run (backfill): every schedule materialised, every outstanding evaluation reminded',
    matches,
    cold,
    `worst case, < 10 s: ${cold.ms < 10_000 ? 'met' : 'NOT met'}`
  )
  const again = await measure(url, big.orgId, AS_OF)
  row(
    'same day again (nothing new to send)',
    matches,
    again,
    `< 10 s and 0 written: ${again.ms < 10_000 && again.counts.notifications_created === 0 ? 'met' : 'NOT met'}`
  )
  // Steady state: evaluations are recorded; one in twenty of those already due stays outstanding.
  await withClient(url, async (c) => {
    await c.query(
      `update evaluations set status = 'completed', held_on = due_on, completed_on = due_on
      where status = 'due' and due_on <= $1::date and hashtext(id::text) % 20 <> 0`,
      [AS_OF]
    )
    await c.query('vacuum analyze evaluations')
  })
  for (const days of [1, 2, 8]) {
    const m = await measure(url, big.orgId, addDays(AS_OF, days))
    row(
      `daily run, ${days === 1 ? 'the next day' : `${days} days on`} (steady state)`,
      matches,
      m,
      `< 10 s: ${m.ms < 10_000 ? 'met' : 'NOT met'}`
    )
  }
  const flat = cold.peakHeapMb < Math.max(smallCold.peakHeapMb * 2, smallCold.peakHeapMb + 16)
  rows.push(
    '',
    `Memory: peak heap growth ${fmt(cold.peakHeapMb, 1)} MB over ${fmt(matches)} matches against ${fmt(smallCold.peakHeapMb, 1)} MB over ${fmt(small)}: ${flat ? 'flat (batches of 1,000)' : 'NOT flat'}.`
  )
  rows.push(
    `Load average while measured: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} on ${os.cpus().length} cores.`
  )
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number.parseInt(process.env.BENCH_MATCHES ?? '100000', 10)
  benchEvaluations(n)
    .then((rows) => {
      process.stdout.write(`${rows.join('\n')}\n`)
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
      process.exitCode = 1
    })
}
