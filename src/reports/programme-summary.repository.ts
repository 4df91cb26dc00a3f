import { sql, type RawBuilder } from 'kysely'
import type { Executor } from '../db/database.js'
import { MEASURES, MEASURE_NAMES, RESPONDENTS, EVALUATION_KINDS, type Respondent } from '../schemas/evaluations.js'
import type { ProgrammeSummary } from '../schemas/reports.js'

export interface SummaryInput {
  org: string
  programmeId: string
  programmeName: string
  from: string
  to: string
  today: string
  timeZone: string
}

const n = (v: unknown): number => Number(v ?? 0)
const rate = (num: number, den: number): number | null => (den === 0 ? null : Math.round((num / den) * 10000) / 10000)

/**
 * The programme summary funders and assessors ask for, each figure one SQL aggregate. Referral
 * figures describe the cohort submitted in the period (days reckoned in the scheme's time zone);
 * waiting list and open matches are as of today; the rest count what happened in the period.
 */
export async function programmeSummary(db: Executor, input: SummaryInput): Promise<ProgrammeSummary> {
  const { org, programmeId: pid, from, to, today, timeZone: tz } = input
  // The period as instants, so the referrals index on (organisation, programme, created_at) applies.
  const start = sql`(${from}::date)::timestamp at time zone ${tz}`
  const end = sql`(${to}::date + 1)::timestamp at time zone ${tz}`
  const cohort = sql`referrals r where r.organisation_id = ${org} and r.programme_id = ${pid} and r.created_at >= ${start} and r.created_at < ${end}`
  const localDate = (col: string): RawBuilder<string> => sql<string>`(${sql.ref(col)} at time zone ${tz})::date`

  const [cohortRows, toMatch, waiting, matchCounts, early, sessions, evaluations, outcomes] = await Promise.all([
    // One pass over the cohort: by status, by team, by decline reason, and the totals.
    sql<{
      set: number
      status: string | null
      organisation: string | null
      team: string | null
      reason_code: string | null
      count: number
      young_people: number
      accepted: number
      declined: number
    }>`
      select grouping(c.status, c.organisation, c.team, c.reason_code) as set, c.status, c.organisation, c.team, c.reason_code,
             count(*)::int as count,
             count(distinct c.young_person)::int as young_people,
             count(*) filter (where c.accepted_at is not null)::int as accepted,
             count(*) filter (where c.status = 'declined')::int as declined
      from (
        select r.status, r.referrer->>'organisation' as organisation, r.referrer->>'team' as team, r.accepted_at,
               coalesce(r.young_person_id, r.id) as young_person,
               case when r.status = 'declined' then coalesce(r.decline->>'reason_code', 'other') end as reason_code
        from ${cohort}) c
      group by grouping sets ((c.status), (c.organisation, c.team), (c.reason_code), ())`.execute(db),
    // Days from submission to the first match, in the scheme's local days.
    sql<{ matched: number; median_days: number | null }>`
      select count(*)::int as matched, percentile_cont(0.5) within group (order by ${localDate('fm.first_at')} - ${localDate('r.created_at')}) as median_days
      from (select r.id, r.created_at from ${cohort}) r
      join (select referral_id, min(created_at) as first_at from matches where organisation_id = ${org} and programme_id = ${pid} group by referral_id) fm
        on fm.referral_id = r.id`.execute(db),
    sql<{ count: number; oldest: string | null }>`
      select count(*)::int as count, min(${localDate('r.accepted_at')})::text as oldest
      from referrals r
      where r.organisation_id = ${org} and r.programme_id = ${pid} and r.status = 'accepted'
        and not exists (select 1 from matches m where m.referral_id = r.id and m.status in ('proposed','active','paused'))`.execute(
      db
    ),
    sql<{ proposed: number; active: number; paused: number; started: number; closed: number }>`
      select count(*) filter (where status = 'proposed')::int as proposed,
             count(*) filter (where status = 'active')::int as active,
             count(*) filter (where status = 'paused')::int as paused,
             count(*) filter (where started_on between ${from}::date and ${to}::date)::int as started,
             count(*) filter (where status = 'closed' and closed_on between ${from}::date and ${to}::date)::int as closed
      from matches where organisation_id = ${org} and programme_id = ${pid}`.execute(db),
    sql<{ reason_code: string; count: number }>`
      select coalesce(close_reason_code, 'other') as reason_code, count(*)::int as count
      from matches
      where organisation_id = ${org} and programme_id = ${pid} and status = 'closed'
        and closed_on between ${from}::date and ${to}::date
        and started_on is not null and closed_on < started_on + interval '3 months'
      group by 1 order by count(*) desc, 1`.execute(db),
    sql<{ logged: number; attended: number; minutes: number }>`
      select count(*)::int as logged, count(*) filter (where s.attended)::int as attended,
             coalesce(sum(s.duration_minutes) filter (where s.attended), 0)::int as minutes
      from match_sessions s join matches m on m.id = s.match_id
      where m.organisation_id = ${org} and m.programme_id = ${pid} and s.held_on between ${from}::date and ${to}::date`.execute(
      db
    ),
    sql<{ kind: string; due: number; completed: number }>`
      select kind, count(*)::int as due, count(*) filter (where status = 'completed')::int as completed
      from evaluations
      where programme_id = ${pid} and organisation_id = ${org} and status <> 'cancelled'
        and due_on between ${from}::date and ${to}::date
      group by kind`.execute(db),
    // One pass, one row per respondent type: a count for each measure's each scale point.
    sql<Record<string, number> & { respondent: string }>`
      select er.respondent, ${sql.join(
        MEASURE_NAMES.flatMap((m) =>
          [1, 2, 3, 4, 5].map(
            (score) =>
              sql`count(*) filter (where ${sql.ref(`er.${m}`)} = ${sql.lit(score)})::int as ${sql.ref(`${m}_${score}`)}`
          )
        )
      )}
      from evaluation_responses er
      where er.programme_id = ${pid} and er.organisation_id = ${org} and er.held_on between ${from}::date and ${to}::date
      group by er.respondent`.execute(db)
  ])

  // grouping() bits, high to low: status, organisation, team, reason; a 0 bit is a column grouped by.
  const byStatus = cohortRows.rows
    .filter((r) => r.set === 0b0111)
    .sort((x, y) => String(x.status).localeCompare(String(y.status)))
  const byTeam = cohortRows.rows
    .filter((r) => r.set === 0b1001)
    .sort(
      (x, y) =>
        n(y.count) - n(x.count) ||
        String(x.organisation).localeCompare(String(y.organisation)) ||
        (x.team === null ? -1 : y.team === null ? 1 : x.team.localeCompare(y.team))
    )
  const declineReasons = cohortRows.rows
    .filter((r) => r.set === 0b1110 && r.reason_code !== null)
    .sort((x, y) => n(y.count) - n(x.count) || String(x.reason_code).localeCompare(String(y.reason_code)))
  const d = cohortRows.rows.find((r) => r.set === 0b1111) ?? { count: 0, young_people: 0, accepted: 0, declined: 0 }
  const w = waiting.rows[0]
  const mc = matchCounts.rows[0]
  const s = sessions.rows[0]
  const tm = toMatch.rows[0]
  const evalDue = evaluations.rows.reduce((a, r) => a + n(r.due), 0)
  const evalDone = evaluations.rows.reduce((a, r) => a + n(r.completed), 0)
  const scores = new Map<string, number>()
  for (const r of outcomes.rows) {
    for (const m of MEASURE_NAMES)
      for (let score = 1; score <= 5; score++) scores.set(`${m}:${r.respondent}:${score}`, n(r[`${m}_${score}`]))
  }

  return {
    programme_id: pid,
    programme_name: input.programmeName,
    from,
    to,
    generated_on: today,
    referrals: {
      submitted: n(d.count),
      young_people: n(d.young_people),
      by_status: byStatus.map((r) => ({ status: r.status as string, count: n(r.count) })),
      by_team: byTeam.map((r) => ({ organisation: r.organisation ?? '', team: r.team, count: n(r.count) }))
    },
    decisions: {
      accepted: n(d.accepted),
      declined: n(d.declined),
      acceptance_rate: rate(n(d.accepted), n(d.accepted) + n(d.declined)),
      decline_reasons: declineReasons.map((r) => ({ reason_code: r.reason_code as string, count: n(r.count) }))
    },
    time_to_match: { matched: n(tm.matched), median_days: tm.median_days === null ? null : Number(tm.median_days) },
    waiting_list: {
      count: n(w.count),
      oldest_accepted_on: w.oldest,
      oldest_wait_days: w.oldest === null ? null : Math.round((Date.parse(today) - Date.parse(w.oldest)) / 86_400_000)
    },
    matches: {
      proposed: n(mc.proposed),
      active: n(mc.active),
      paused: n(mc.paused),
      started: n(mc.started),
      closed: n(mc.closed)
    },
    early_closures: {
      count: early.rows.reduce((a, r) => a + n(r.count), 0),
      reasons: early.rows.map((r) => ({ reason_code: r.reason_code, count: n(r.count) }))
    },
    sessions: { logged: n(s.logged), attended: n(s.attended), hours: Math.round((n(s.minutes) / 60) * 100) / 100 },
    evaluations: {
      due: evalDue,
      completed: evalDone,
      completion_rate: rate(evalDone, evalDue),
      by_kind: EVALUATION_KINDS.map((kind) => {
        const r = evaluations.rows.find((x) => x.kind === kind)
        return { kind, due: n(r?.due), completed: n(r?.completed) }
      })
    },
    outcomes: MEASURE_NAMES.flatMap((measure) =>
      RESPONDENTS.map((respondent: Respondent) => {
        const distribution = MEASURES[measure].labels.map((label, i) => ({
          score: i + 1,
          label,
          count: scores.get(`${measure}:${respondent}:${i + 1}`) ?? 0
        }))
        const responses = distribution.reduce((a, p) => a + p.count, 0)
        const total = distribution.reduce((a, p) => a + p.score * p.count, 0)
        return {
          measure,
          respondent,
          responses,
          mean: responses === 0 ? null : Math.round((total / responses) * 100) / 100,
          distribution
        }
      })
    )
  }
}
