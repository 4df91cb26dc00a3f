import { sql } from 'kysely'
import type { Introduction, MatchStatus } from '../schemas/matches.js'
import type { JsonText } from '../db/json.js'
import type { Executor } from '../db/database.js'
import type { MatchRow, MatchUpdate, ReferralRow } from '../db/types.js'
import type { Position } from '../lib/cursor.js'
import { changeWithEvents, type Accessor } from '../audit/audit.repository.js'

/** Which matches a caller may see: the organisation, narrowed for a mentor or a referrer. */
export interface MatchScope {
  org: string
  mentorId?: string
  referralCreatedBy?: string
}

export type MatchView = MatchRow & {
  reference: string
  young_person: ReferralRow['young_person']
  needs: ReferralRow['needs']
  mentor_given_name: string
  mentor_status: string
  programme_kind: string
}

function base(db: Executor, scope: MatchScope) {
  let q = db
    .selectFrom('matches')
    .innerJoin('referrals', 'referrals.id', 'matches.referral_id')
    .innerJoin('mentors', 'mentors.id', 'matches.mentor_id')
    .innerJoin('programmes', 'programmes.id', 'matches.programme_id')
    .selectAll('matches')
    .select([
      'referrals.reference',
      'referrals.young_person',
      'referrals.needs',
      'mentors.given_name as mentor_given_name',
      'mentors.status as mentor_status',
      'programmes.kind as programme_kind'
    ])
    .where('matches.organisation_id', '=', scope.org)
  if (scope.mentorId !== undefined) q = q.where('matches.mentor_id', '=', scope.mentorId)
  if (scope.referralCreatedBy !== undefined) q = q.where('referrals.created_by', '=', scope.referralCreatedBy)
  return q
}

export async function findMatch(db: Executor, scope: MatchScope, id: string): Promise<MatchView | undefined> {
  return (await base(db, scope).where('matches.id', '=', id).executeTakeFirst()) as MatchView | undefined
}

/** The match, locked for a change. */
export async function lockMatch(db: Executor, scope: MatchScope, id: string): Promise<MatchView | undefined> {
  return (await base(db, scope).where('matches.id', '=', id).forUpdate('matches').executeTakeFirst()) as
    MatchView | undefined
}

export interface MatchFilter {
  status?: MatchStatus
  programme_id?: string
  mentor_id?: string
  referral_id?: string
  flagged?: boolean
}

export async function listMatches(
  db: Executor,
  scope: MatchScope,
  filter: MatchFilter,
  after: Position | null,
  limit: number
): Promise<MatchView[]> {
  let q = base(db, scope)
  if (filter.status !== undefined) q = q.where('matches.status', '=', filter.status)
  if (filter.programme_id !== undefined) q = q.where('matches.programme_id', '=', filter.programme_id)
  if (filter.mentor_id !== undefined) q = q.where('matches.mentor_id', '=', filter.mentor_id)
  if (filter.referral_id !== undefined) q = q.where('matches.referral_id', '=', filter.referral_id)
  if (filter.flagged !== undefined) q = q.where('matches.flagged_at', filter.flagged ? 'is not' : 'is', null)
  if (after !== null)
    q = q.where((eb) => eb(eb.refTuple('matches.created_at', 'matches.id'), '<', eb.tuple(after.at, after.id)))
  return (await q
    .orderBy('matches.created_at', 'desc')
    .orderBy('matches.id', 'desc')
    .limit(limit + 1)
    .execute()) as MatchView[]
}

export async function insertMatch(
  db: Executor,
  values: {
    organisation_id: string
    referral_id: string
    mentor_id: string
    programme_id: string
    introduction: JsonText<Introduction>
    created_by: string
  }
): Promise<MatchRow> {
  return await db
    .insertInto('matches')
    .values({ ...values, status: 'proposed' })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function updateMatch(db: Executor, id: string, set: MatchUpdate): Promise<void> {
  await db
    .updateTable('matches')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .execute()
}

export interface MatchHistoryInput {
  match_id: string
  from_status: MatchStatus | null
  to_status: MatchStatus
  on_date: string
  actor_id: string
  actor_role: string
  reason?: string | null
}

export async function insertHistory(db: Executor, entry: MatchHistoryInput): Promise<void> {
  await db
    .insertInto('match_status_history')
    .values({ ...entry, reason: entry.reason ?? null })
    .execute()
}

/** The match's most recent status change (by the order changes were recorded), or undefined for none. */
export async function lastHistoryEntry(
  db: Executor,
  matchId: string
): Promise<{ to_status: string; on_date: string } | undefined> {
  return await db
    .selectFrom('match_status_history')
    .select(['to_status', 'on_date'])
    .where('match_id', '=', matchId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
}

/** How many sessions a match has, and the day of the latest. */
export async function sessionSpan(db: Executor, matchId: string): Promise<{ count: number; last: string | null }> {
  const row = await db
    .selectFrom('match_sessions')
    .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('held_on').as('last')])
    .where('match_id', '=', matchId)
    .executeTakeFirstOrThrow()
  return { count: Number(row.count), last: (row.last as string | null) ?? null }
}

export async function listHistory(
  db: Executor,
  matchId: string
): Promise<
  Array<{
    from_status: MatchStatus | null
    to_status: MatchStatus
    on_date: string
    actor_id: string
    actor_role: string
    reason: string | null
    at: Date
  }>
> {
  return await db
    .selectFrom('match_status_history')
    .select(['from_status', 'to_status', 'on_date', 'actor_id', 'actor_role', 'reason', 'created_at as at'])
    .where('match_id', '=', matchId)
    .orderBy('id')
    .execute()
}

/** The mentor row locked, so places are counted and taken one coordinator at a time. */
export async function lockMentorRow(
  db: Executor,
  org: string,
  mentorId: string
): Promise<{ id: string; given_name: string } | undefined> {
  return await db
    .selectFrom('mentors')
    .select(['id', 'given_name'])
    .where('organisation_id', '=', org)
    .where('id', '=', mentorId)
    .forUpdate()
    .executeTakeFirst()
}

/** The active matches of these mentors (for alerts naming the matches a lapse affects). */
export async function activeMatchesForMentors(
  db: Executor,
  org: string,
  mentorIds: string[]
): Promise<Array<{ id: string; mentor_id: string; referral_id: string; reference: string }>> {
  if (mentorIds.length === 0) return []
  return await db
    .selectFrom('matches')
    .innerJoin('referrals', 'referrals.id', 'matches.referral_id')
    .select(['matches.id', 'matches.mentor_id', 'matches.referral_id', 'referrals.reference'])
    .where('matches.organisation_id', '=', org)
    .where('matches.mentor_id', 'in', mentorIds)
    .where('matches.status', '=', 'active')
    .orderBy('matches.mentor_id')
    .orderBy('referrals.reference')
    .execute()
}

/** Flags the active matches of mentors whose clearance lapsed; a match already flagged keeps its first flag. */
export async function flagMatchesForMentors(
  db: Executor,
  who: Accessor,
  mentorIds: string[],
  reason: string
): Promise<number> {
  if (mentorIds.length === 0) return 0
  const flagged = await changeWithEvents<{ id: string }>(
    db,
    who,
    { action: 'update', resourceType: 'match', resourceId: 'id', referralId: 'referral_id', mentorId: 'mentor_id' },
    db
      .updateTable('matches')
      .set({ flagged_at: sql`now()`, flag_reason: reason, updated_at: sql`now()`, version: sql`version + 1` })
      .where('organisation_id', '=', who.org)
      .where('mentor_id', 'in', mentorIds)
      .where('status', '=', 'active')
      .where('flagged_at', 'is', null)
      .returning(['id', 'referral_id', 'mentor_id'])
  )
  return flagged.length
}
