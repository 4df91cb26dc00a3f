import { sql, type Selectable } from 'kysely'
import type { Executor } from '../db/database.js'
import type { MatchGoalRow, MatchGoalsTable, MatchSessionRow, MatchSessionsTable } from '../db/types.js'
import { jsonOf, type JsonText } from '../db/json.js'
import type { Position } from '../lib/cursor.js'

export async function insertSession(
  db: Executor,
  values: {
    organisation_id: string
    match_id: string
    held_on: string
    duration_minutes: number
    location_type: MatchSessionsTable['location_type']
    attended: boolean
    notes: string | null
    recorded_by: string
    recorded_role: string
  }
): Promise<MatchSessionRow> {
  return await db.insertInto('match_sessions').values(values).returningAll().executeTakeFirstOrThrow()
}

/** Sessions newest first by when they were held; the cursor walks (created_at, id) within that order. */
export async function listSessions(
  db: Executor,
  matchId: string,
  after: Position | null,
  limit: number
): Promise<MatchSessionRow[]> {
  let q = db.selectFrom('match_sessions').selectAll().where('match_id', '=', matchId)
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)))
  return await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
}

export async function insertGoal(
  db: Executor,
  values: {
    organisation_id: string
    match_id: string
    title: string
    description: string | null
    target_date: string | null
    created_by: string
  }
): Promise<MatchGoalRow> {
  return await db
    .insertInto('match_goals')
    .values({ ...values, progress_notes: jsonOf([]) })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function listGoals(db: Executor, matchId: string): Promise<MatchGoalRow[]> {
  return await db
    .selectFrom('match_goals')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

export async function lockGoal(db: Executor, matchId: string, id: string): Promise<MatchGoalRow | undefined> {
  return await db
    .selectFrom('match_goals')
    .selectAll()
    .where('match_id', '=', matchId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

export async function updateGoal(
  db: Executor,
  id: string,
  set: {
    title?: string
    target_date?: string | null
    status?: Selectable<MatchGoalsTable>['status']
    progress?: number
    progress_notes?: JsonText<MatchGoalRow['progress_notes']>
  }
): Promise<MatchGoalRow> {
  return await db
    .updateTable('match_goals')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export interface SessionGap {
  match_id: string
  organisation_id: string
  reference: string
  since: string
  alert_weeks: number
}

/**
 * Active matches, in id order after `afterId`, whose last session (or start, when none) is at least
 * the programme's `session_alert_weeks` before `asOf`. One keyset batch of a daily scan.
 */
export async function sessionGaps(
  db: Executor,
  org: string | null,
  asOf: string,
  afterId: string | null,
  limit: number
): Promise<SessionGap[]> {
  const orgFilter = org === null ? sql`` : sql`and m.organisation_id = ${org}`
  const after = afterId === null ? sql`` : sql`and m.id > ${afterId}`
  const rows = await sql<SessionGap>`
    select m.id as match_id, m.organisation_id, r.reference, g.since::text as since, g.weeks as alert_weeks
    from matches m
    join referrals r on r.id = m.referral_id
    join programmes p on p.id = m.programme_id
    cross join lateral (
      select greatest(m.started_on, (select max(s.held_on) from match_sessions s where s.match_id = m.id)) as since,
             coalesce((p.rules->>'session_alert_weeks')::int, 3) as weeks
    ) g
    where m.status = 'active' and m.started_on is not null ${orgFilter} ${after}
      and g.since + g.weeks * 7 <= ${asOf}::date
    order by m.id
    limit ${limit}`.execute(db)
  return rows.rows
}
