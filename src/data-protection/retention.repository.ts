import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import { effectiveSchedule, type RetentionMonths } from './retention-classes.js'
import { jsonOf } from '../db/json.js'

export interface RetentionSchedule {
  classes: RetentionMonths
  updated_at: Date | null
  version: number
}

export async function findSchedule(db: Executor, org: string): Promise<RetentionSchedule> {
  const row = await db
    .selectFrom('retention_schedules')
    .select(['classes', 'updated_at', 'version'])
    .where('organisation_id', '=', org)
    .executeTakeFirst()
  return { classes: effectiveSchedule(row?.classes), updated_at: row?.updated_at ?? null, version: row?.version ?? 0 }
}

/** Merges the classes named into the organisation's schedule. */
export async function mergeSchedule(
  db: Executor,
  org: string,
  classes: Record<string, number>,
  by: string
): Promise<RetentionSchedule> {
  const json = jsonOf(classes)
  const row = await db
    .insertInto('retention_schedules')
    .values({ organisation_id: org, classes: json, updated_by: by })
    .onConflict((oc) =>
      oc.column('organisation_id').doUpdateSet({
        classes: sql`retention_schedules.classes || ${json}::jsonb`,
        updated_by: by,
        version: sql`retention_schedules.version + 1`,
        updated_at: sql`now()`
      })
    )
    .returning(['classes', 'updated_at', 'version'])
    .executeTakeFirstOrThrow()
  return { classes: effectiveSchedule(row.classes), updated_at: row.updated_at, version: row.version }
}

/** The first instant past a class's time: a record whose event fell on a local day D is due once D + months <= as_of. */
export function cutoff(asOf: string, months: number, tz: string): ReturnType<typeof sql> {
  return sql`(((${asOf}::date - make_interval(months => ${months}))::date + 1)::timestamp at time zone ${tz})`
}

const notHeld = (col: 'referral_id' | 'mentor_id', ref: string): ReturnType<typeof sql> =>
  sql`not exists (select 1 from legal_holds h where ${sql.ref(`h.${col}`)} = ${sql.ref(ref)} and h.released_at is null)`

export interface RetentionWindow {
  org: string
  asOf: string
  tz: string
  classes: RetentionMonths
}

/** When a referral's clock started: the decision for a declined or withdrawn one, the match's close for a closed one. */
const REFERRAL_EVENT = sql`coalesce(case r.status
  when 'declined' then (r.decline->>'declined_at')::timestamptz
  when 'withdrawn' then (r.withdrawal->>'withdrawn_at')::timestamptz
  else r.closed_at end, r.updated_at)`

function referralDue(w: RetentionWindow): ReturnType<typeof sql> {
  return sql`r.organisation_id = ${w.org} and r.anonymised_at is null and r.status in ('declined','withdrawn','closed')
    and ${REFERRAL_EVENT} < case when r.status = 'closed' then ${cutoff(w.asOf, w.classes.referral_closed, w.tz)}
      else ${cutoff(w.asOf, w.classes.referral_declined_or_withdrawn, w.tz)} end`
}

const MENTOR_EVENT = sql`coalesce((select max(h.created_at) from mentor_status_history h where h.mentor_id = m.id and h.to_status = 'withdrawn'), m.updated_at)`
function mentorDue(w: RetentionWindow): ReturnType<typeof sql> {
  return sql`m.organisation_id = ${w.org} and m.anonymised_at is null and m.status = 'withdrawn' and ${MENTOR_EVENT} < ${cutoff(w.asOf, w.classes.mentor_left, w.tz)}`
}

/** The next referrals past their time and not held, locked; another run's locked rows are left to it. */
export async function dueReferrals(
  db: Executor,
  w: RetentionWindow,
  after: string | null,
  limit: number
): Promise<string[]> {
  const r = await sql<{ id: string }>`
    select r.id from referrals r
    where ${referralDue(w)} and ${notHeld('referral_id', 'r.id')} ${after === null ? sql`` : sql`and r.id > ${after}`}
    order by r.id limit ${limit} for update skip locked`.execute(db)
  return r.rows.map((x) => x.id)
}

export async function dueMentors(
  db: Executor,
  w: RetentionWindow,
  after: string | null,
  limit: number
): Promise<string[]> {
  const r = await sql<{ id: string }>`
    select m.id from mentors m
    where ${mentorDue(w)} and ${notHeld('mentor_id', 'm.id')} ${after === null ? sql`` : sql`and m.id > ${after}`}
    order by m.id limit ${limit} for update skip locked`.execute(db)
  return r.rows.map((x) => x.id)
}

/**
 * Concerns past their time: a concern about a young person from when it was raised; an allegation
 * from its outcome, by the class the outcome set (one without an outcome is never due). A hold on
 * the young person's record or on the mentor an allegation is about keeps it.
 */
export async function dueConcerns(
  db: Executor,
  w: RetentionWindow,
  after: string | null,
  limit: number
): Promise<string[]> {
  const r = await sql<{ id: string }>`
    select c.id from safeguarding_concerns c
    where c.organisation_id = ${w.org} and c.anonymised_at is null
      and case
        when c.kind = 'about_young_person' then c.raised_at < ${cutoff(w.asOf, w.classes.safeguarding_concern, w.tz)}
        when c.retention_class = 'allegation_unfounded' then c.outcome_at < ${cutoff(w.asOf, w.classes.allegation_unfounded, w.tz)}
        when c.retention_class = 'allegation_substantiated' then c.outcome_at < ${cutoff(w.asOf, w.classes.allegation_substantiated, w.tz)}
        else false end
      and ${notHeld('referral_id', 'c.referral_id')}
      and (c.mentor_id is null or ${notHeld('mentor_id', 'c.mentor_id')})
      ${after === null ? sql`` : sql`and c.id > ${after}`}
    order by c.id limit ${limit} for update skip locked`.execute(db)
  return r.rows.map((x) => x.id)
}

/** The referral or mentor a notification is about, when it is about one, for the hold check. */
const NOTIFICATION_REFERRAL = sql`case n.subject_type
  when 'referral' then n.subject_id
  when 'match' then (select referral_id from matches where id = n.subject_id)
  when 'evaluation' then (select mm.referral_id from evaluations e join matches mm on mm.id = e.match_id where e.id = n.subject_id)
  when 'safeguarding_concern' then (select referral_id from safeguarding_concerns where id = n.subject_id)
  end`

/** Messages past their time, unless what they are about is held; walked by (created_at, id). */
export async function dueNotifications(
  db: Executor,
  w: RetentionWindow,
  after: { at: string; id: string } | null,
  limit: number
): Promise<Array<{ id: string; at: string }>> {
  const r = await sql<{ id: string; at: string }>`
    select n.id, n.created_at::text as at from notifications n
    where n.organisation_id = ${w.org} and n.anonymised_at is null and n.created_at < ${cutoff(w.asOf, w.classes.notification, w.tz)}
      ${after === null ? sql`` : sql`and (n.created_at, n.id) > (${after.at}::timestamptz, ${after.id}::uuid)`}
      and not exists (select 1 from legal_holds h where h.released_at is null and (
        h.referral_id = ${NOTIFICATION_REFERRAL} or (n.subject_type = 'mentor' and h.mentor_id = n.subject_id)))
    order by n.created_at, n.id limit ${limit} for update of n skip locked`.execute(db)
  return r.rows
}

/** Records past their time that a legal hold keeps. */
export async function heldPastTime(db: Executor, w: RetentionWindow): Promise<{ referrals: number; mentors: number }> {
  const r = await sql<{ referrals: number; mentors: number }>`
    select
      (select count(*) from referrals r join legal_holds h on h.referral_id = r.id and h.released_at is null where ${referralDue(w)})::int as referrals,
      (select count(*) from mentors m join legal_holds h on h.mentor_id = m.id and h.released_at is null where ${mentorDue(w)})::int as mentors`.execute(
    db
  )
  return r.rows[0]
}

/**
 * Deletes idempotency keys (and their stored responses) older than a day as of the run: now, or the
 * start of `as_of` when that is later. One batch; returns how many went.
 */
export async function deleteExpiredIdempotencyKeys(
  db: Executor,
  org: string | null,
  asOf: string,
  tz: string,
  hours: number,
  limit: number
): Promise<number> {
  const r = await sql`
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys
      where created_at < greatest(now(), (${asOf}::date)::timestamp at time zone ${tz}) - make_interval(hours => ${hours})
        ${org === null ? sql`` : sql`and organisation_id = ${org}`}
      limit ${limit})`.execute(db)
  return Number(r.numAffectedRows ?? 0)
}

export async function organisationIds(db: Executor, org: string | null): Promise<string[]> {
  if (org !== null) return [org]
  return (await db.selectFrom('organisations').select('id').orderBy('id').execute()).map((o) => o.id)
}

/**
 * A retention batch commits without waiting for its WAL to reach the disk: one lost with the server
 * is chosen again by the next run, its changes and events together.
 */
export async function commitWithoutFlush(trx: Executor): Promise<void> {
  await sql`set local synchronous_commit = off`.execute(trx)
}
