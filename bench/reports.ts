/**
 * The programme summary over 100,000 referrals and 1,000,000 sessions (bar: < 1 s). Data made with
 * generate_series, all of it inside the reported period (the worst case): referrals across every
 * status, half of them matched, 20 sessions a match, an evaluation a match with three responses.
 * Median of 5 runs, JSON and CSV.
 *
 *   npx tsx bench/reports.ts        (BENCH_REFERRALS=20000 BENCH_SESSIONS=200000 for a quick look)
 */
import os from 'node:os'
import type pg from 'pg'
import { createDatabase } from '../src/db/database.js'
import { programmeSummary } from '../src/reports/programme-summary.repository.js'
import { summaryCsv } from '../src/reports/csv.js'
import { createTenant, freshDatabase, insertReferrals, withClient, type Tenant } from './data.js'

const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const TODAY = '2026-11-20'

const log = (msg: string): void => {
  process.stderr.write(`[bench:reports] ${msg}\n`)
}
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Half the referrals matched (a tenth of those closed early), `sessions` spread over the matches, an evaluation each. */
export async function insertActivity(c: pg.Client, t: Tenant, sessions: number): Promise<number> {
  await c.query('set synchronous_commit = off')
  await c.query(
    `
    insert into mentors (organisation_id, status, given_name, family_name, email, gender, postcode, capacity)
    select $1::uuid, 'approved', 'Mentor', 'M' || i, 'mentor' || i || '@bench.example', 'female', 'BR1 3AB', 5
    from generate_series(1, 10000) as i`,
    [t.orgId]
  )
  const matched = await c.query(
    `
    with r as (select id, created_at, row_number() over (order by id) as i from referrals where organisation_id = $1),
    m as (select id, row_number() over (order by id) as j from mentors where organisation_id = $1)
    insert into matches (organisation_id, referral_id, mentor_id, programme_id, status, introduction, started_on, closed_on, close_reason_code, created_by, created_at)
    select $1, r.id, m.id, $2,
      case when r.i % 20 = 0 then 'closed' when r.i % 20 = 1 then 'paused' else 'active' end,
      '{"scheduled_at":"2026-01-01T10:00:00Z","location":"School library"}'::jsonb,
      r.created_at::date + 7,
      case when r.i % 20 = 0 then r.created_at::date + 7 + (r.i % 150)::int end,
      case when r.i % 20 = 0 then (array['planned_end','goals_met','moved_away','young_person_withdrew'])[1 + (r.i / 20) % 4] end,
      'bench', r.created_at + make_interval(days => (r.i % 60)::int)
    from r join m on m.j = 1 + (r.i % 10000)
    where r.i % 2 = 0`,
    [t.orgId, t.programmeId]
  )
  const matches = matched.rowCount ?? 0
  const perMatch = Math.ceil(sessions / matches)
  await c.query(
    `
    insert into match_sessions (organisation_id, match_id, held_on, duration_minutes, location_type, attended, recorded_by, recorded_role)
    select $1, m.id, $2::date - (k * 7), 45 + (k % 4) * 15, 'library', k % 9 <> 0, 'bench', 'mentor'
    from (select id from matches where organisation_id = $1) m cross join generate_series(1, $3::int) as k
    limit $4`,
    [t.orgId, TODAY, perMatch, sessions]
  )
  await c.query(
    `
    insert into evaluations (organisation_id, match_id, programme_id, kind, sequence, due_on, status, held_on, completed_on)
    select organisation_id, id, programme_id, 'annual', 1, started_on + 300 - (hashtext(id::text) & 511),
      case when hashtext(id::text) % 3 = 0 then 'due' else 'completed' end,
      case when hashtext(id::text) % 3 <> 0 then started_on + 300 - (hashtext(id::text) & 511) end,
      case when hashtext(id::text) % 3 <> 0 then started_on + 300 - (hashtext(id::text) & 511) end
    from matches where organisation_id = $1`,
    [t.orgId]
  )
  await c.query(
    `
    insert into evaluation_responses (evaluation_id, organisation_id, programme_id, held_on, respondent, has_trusted_adult, feels_listened_to, confidence, education_engagement, goal_progress)
    select e.id, e.organisation_id, e.programme_id, e.held_on, r.respondent,
      1 + (hashtext(e.id::text || r.respondent) & 7) % 5, 1 + (hashtext(r.respondent || e.id::text) & 7) % 5,
      1 + (hashtext(e.id::text) & 15) % 5, 2 + (hashtext(e.id::text) & 3), 1 + (hashtext(e.id::text) & 31) % 5
    from evaluations e cross join (values ('young_person'), ('mentor'), ('referrer')) as r(respondent)
    where e.organisation_id = $1 and e.status = 'completed'`,
    [t.orgId]
  )
  return matches
}

export async function benchReports(referrals = 100_000, sessions = 1_000_000): Promise<string[]> {
  // BENCH_REUSE=1 measures again over the data a previous run left.
  const reuse = process.env.BENCH_REUSE === '1'
  const url = reuse
    ? Object.assign(new URL(ADMIN_URL), { pathname: '/waymark_bench_reports' }).toString()
    : await freshDatabase(ADMIN_URL, 'waymark_bench_reports')
  const t0 = Date.now()
  const tenant = await withClient(url, async (c) => {
    if (reuse) {
      const found = await c.query<{ org: string; pid: string }>(
        "select o.id as org, p.id as pid from organisations o join programmes p on p.organisation_id = o.id where o.code = 'BRPT'"
      )
      return { orgId: found.rows[0].org, programmeId: found.rows[0].pid }
    }
    const t = await createTenant(c, 'BRPT')
    await insertReferrals(c, t, referrals)
    // Spread the submissions over a year, accepted ones stamped, declines with reasons.
    await c.query(
      `update referrals set created_at = timestamptz '2026-11-20T12:00:00Z' - make_interval(mins => (hashtext(id::text) & 524287)),
      accepted_at = case when status in ('accepted','matched','closed') then created_at end,
      decline = case when status = 'declined' then jsonb_build_object('reason_code', (array['ineligible','needs_too_complex','no_mentor_available','other'])[1 + (hashtext(id::text) & 3)]) end,
      referrer = jsonb_set(referrer, '{team}', to_jsonb('Team ' || (hashtext(id::text) & 15)))
      where organisation_id = $1`,
      [t.orgId]
    )
    const matches = await insertActivity(c, t, sessions)
    await c.query('vacuum analyze')
    log(`${fmt(referrals)} referrals, ${fmt(matches)} matches, ${fmt(sessions)} sessions in ${fmt(Date.now() - t0)} ms`)
    return t
  })
  const { db } = createDatabase(url, 16)
  try {
    const input = {
      org: tenant.orgId,
      programmeId: tenant.programmeId,
      programmeName: 'Bench mentoring',
      from: '2025-11-21',
      to: TODAY,
      today: TODAY,
      timeZone: 'Europe/London'
    }
    await programmeSummary(db, input) // warm the cache and the pool
    const json: number[] = []
    const csv: number[] = []
    let last = await programmeSummary(db, input)
    for (let i = 0; i < 5; i++) {
      let t = performance.now()
      last = await programmeSummary(db, input)
      json.push(performance.now() - t)
      t = performance.now()
      summaryCsv(await programmeSummary(db, input))
      csv.push(performance.now() - t)
    }
    log(
      `figures: ${last.referrals.submitted} referrals, ${last.sessions.logged} sessions, ${last.evaluations.due} evaluations due, median ${String(last.time_to_match.median_days)} days`
    )
    return [
      '| what | rows in the period | median of 5 | max | bar |',
      '| --- | --- | --- | --- | --- |',
      `| programme summary, JSON | ${fmt(last.referrals.submitted)} referrals, ${fmt(last.sessions.logged)} sessions, ${fmt(last.evaluations.due)} evaluations | ${fmt(median(json))} ms | ${fmt(Math.max(...json))} ms | < 1,000 ms: ${median(json) < 1000 ? 'met' : 'NOT met'} |`,
      `| programme summary, CSV | same | ${fmt(median(csv))} ms | ${fmt(Math.max(...csv))} ms | < 1,000 ms: ${median(csv) < 1000 ? 'met' : 'NOT met'} |`,
      '',
      `Load average while measured: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} on ${os.cpus().length} cores.`
    ]
  } finally {
    await db.destroy()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = Number.parseInt(process.env.BENCH_REFERRALS ?? '100000', 10)
  const s = Number.parseInt(process.env.BENCH_SESSIONS ?? '1000000', 10)
  benchReports(r, s)
    .then((rows) => {
      process.stdout.write(`${rows.join('\n')}\n`)
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
      process.exitCode = 1
    })
}
