import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { EvaluationRow, EvaluationResponseRow } from '../db/types.js'
import type {
  EvaluationKind,
  ExistingEvaluation,
  MatchTimeline,
  ScheduledEvaluation,
  ScheduleRules,
  StatusChange
} from './schedule.js'

export interface TimelineRow extends MatchTimeline, ScheduleRules {
  id: string
  organisation_id: string
  programme_id: string
  evaluations: ExistingEvaluation[]
}

/**
 * Matches with their programme's evaluation rules, status history and stored evaluations, for
 * scheduling: one query for a whole batch.
 */
export async function loadTimelines(db: Executor, matchIds: string[]): Promise<TimelineRow[]> {
  if (matchIds.length === 0) return []
  const rows = await sql<{
    id: string
    organisation_id: string
    programme_id: string
    status: string
    started_on: string | null
    closed_on: string | null
    closure_evaluation_waived: boolean
    evaluation_interval_months: number
    early_review_months: number | null
    history: Array<[string | null, string, string]>
    evaluations: Array<[string, EvaluationKind, number, string, string]>
  }>`
    select m.id, m.organisation_id, m.programme_id, m.status, m.started_on::text as started_on, m.closed_on::text as closed_on, m.closure_evaluation_waived,
      coalesce((p.rules->>'evaluation_interval_months')::int, 12) as evaluation_interval_months,
      (p.rules->>'early_review_months')::int as early_review_months,
      (select coalesce(json_agg(json_build_array(h.from_status, h.to_status, h.on_date) order by h.on_date, h.id), '[]')
         from match_status_history h where h.match_id = m.id) as history,
      (select coalesce(json_agg(json_build_array(e.id, e.kind, e.sequence, e.due_on, e.status)), '[]')
         from evaluations e where e.match_id = m.id) as evaluations
    from matches m join programmes p on p.id = m.programme_id
    where m.id = any(${matchIds}::uuid[])`.execute(db)
  return rows.rows.map((m) => ({
    id: m.id,
    organisation_id: m.organisation_id,
    programme_id: m.programme_id,
    status: m.status,
    started_on: m.started_on,
    closed_on: m.closed_on,
    closure_evaluation_waived: m.closure_evaluation_waived,
    evaluation_interval_months: m.evaluation_interval_months,
    early_review_months: m.early_review_months,
    history: m.history.map(([from, to, on]): StatusChange => ({ from_status: from, to_status: to, on_date: on })),
    evaluations: m.evaluations.map(([id, kind, sequence, due, status]) => ({ id, kind, sequence, due_on: due, status }))
  }))
}

export interface NewScheduled extends ScheduledEvaluation {
  organisation_id: string
  match_id: string
  programme_id: string
}

/**
 * Inserts scheduled evaluations as column arrays (a fixed six parameters however many rows); one
 * that exists already (a concurrent sync) is left as it is.
 */
export async function insertScheduled(db: Executor, rows: NewScheduled[]): Promise<number> {
  if (rows.length === 0) return 0
  const res = await sql`
    insert into evaluations (organisation_id, match_id, programme_id, kind, sequence, due_on)
    select * from unnest(${rows.map((r) => r.organisation_id)}::uuid[], ${rows.map((r) => r.match_id)}::uuid[], ${rows.map((r) => r.programme_id)}::uuid[],
                         ${rows.map((r) => r.kind)}::text[], ${rows.map((r) => r.sequence)}::int[], ${rows.map((r) => r.due_on)}::date[])
    on conflict (match_id, kind, sequence) do nothing`.execute(db)
  return Number(res.numAffectedRows ?? 0)
}

/** Moves due dates; only evaluations still due are touched. */
export async function moveDueDates(db: Executor, moves: Array<{ id: string; due_on: string }>): Promise<number> {
  if (moves.length === 0) return 0
  const res = await sql`
    update evaluations e set due_on = v.due_on, version = e.version + 1, updated_at = now()
    from unnest(${moves.map((m) => m.id)}::uuid[], ${moves.map((m) => m.due_on)}::date[]) as v(id, due_on)
    where e.id = v.id and e.status = 'due' and e.due_on <> v.due_on`.execute(db)
  return Number(res.numAffectedRows ?? 0)
}

export async function cancelEvaluations(db: Executor, ids: string[], on: string): Promise<number> {
  if (ids.length === 0) return 0
  const res = await db
    .updateTable('evaluations')
    .set({ status: 'cancelled', cancelled_on: on, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', 'in', ids)
    .where('status', '=', 'due')
    .executeTakeFirst()
  return Number(res.numUpdatedRows)
}

/**
 * Matches whose stored schedule may lag behind `asOf`, in keyset batches by id: started matches
 * whose next annual evaluation is not stored yet, paused ones (their due dates move daily), and
 * closed ones without their closure evaluation or with annual ones still due after the closure.
 */
export async function matchesNeedingSync(
  db: Executor,
  org: string | null,
  asOf: string,
  afterId: string | null,
  limit: number
): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    select m.id from matches m
    cross join lateral (
      select max(e.due_on) filter (where e.kind = 'annual') as last_annual,
             count(*) filter (where e.kind = 'closure') as closures,
             count(*) filter (where e.kind <> 'closure' and e.status = 'due' and e.due_on > m.closed_on) as stale
      from evaluations e where e.match_id = m.id) x
    where m.started_on is not null
      ${org !== null ? sql`and m.organisation_id = ${org}` : sql``}
      ${afterId !== null ? sql`and m.id > ${afterId}` : sql``}
      and (
        m.status = 'paused'
        or (m.status = 'active' and (x.last_annual is null or x.last_annual <= ${asOf}::date))
        or (m.status = 'closed' and ((x.closures = 0 and not m.closure_evaluation_waived) or x.stale > 0))
      )
    order by m.id
    limit ${limit}`.execute(db)
  return rows.rows.map((r) => r.id)
}

export interface EvaluationScope {
  org: string
  mentorId?: string
}

export interface EvaluationFilter {
  status?: 'due' | 'overdue' | 'completed' | 'cancelled'
  due_before?: string
  match_id?: string
  programme_id?: string
  kind?: string
}

export interface ListPosition {
  due_on: string
  id: string
}

/** Evaluations by due date then id (keyset); a mentor sees only those of its own matches. */
export async function listEvaluations(
  db: Executor,
  scope: EvaluationScope,
  filter: EvaluationFilter,
  today: string,
  after: ListPosition | null,
  limit: number
): Promise<EvaluationRow[]> {
  let q = db.selectFrom('evaluations').selectAll('evaluations').where('evaluations.organisation_id', '=', scope.org)
  if (scope.mentorId !== undefined) {
    const mentorId = scope.mentorId
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('matches')
          .select('matches.id')
          .whereRef('matches.id', '=', 'evaluations.match_id')
          .where('matches.mentor_id', '=', mentorId)
      )
    )
  }
  if (filter.status === 'overdue') q = q.where('evaluations.status', '=', 'due').where('evaluations.due_on', '<', today)
  else if (filter.status !== undefined) q = q.where('evaluations.status', '=', filter.status)
  if (filter.due_before !== undefined) q = q.where('evaluations.due_on', '<', filter.due_before)
  if (filter.match_id !== undefined) q = q.where('evaluations.match_id', '=', filter.match_id)
  if (filter.programme_id !== undefined) q = q.where('evaluations.programme_id', '=', filter.programme_id)
  if (filter.kind !== undefined) q = q.where('evaluations.kind', '=', filter.kind)
  if (after !== null)
    q = q.where((eb) => eb(eb.refTuple('evaluations.due_on', 'evaluations.id'), '>', eb.tuple(after.due_on, after.id)))
  return await q
    .orderBy('evaluations.due_on')
    .orderBy('evaluations.id')
    .limit(limit + 1)
    .execute()
}

export async function findEvaluation(
  db: Executor,
  scope: EvaluationScope,
  id: string
): Promise<EvaluationRow | undefined> {
  let q = db
    .selectFrom('evaluations')
    .selectAll('evaluations')
    .where('evaluations.organisation_id', '=', scope.org)
    .where('evaluations.id', '=', id)
  if (scope.mentorId !== undefined) {
    q = q.innerJoin('matches', 'matches.id', 'evaluations.match_id').where('matches.mentor_id', '=', scope.mentorId)
  }
  return await q.executeTakeFirst()
}

/** The evaluation a recording answers, locked: the one named, or the earliest due (of a kind). */
export async function lockEvaluationToRecord(
  db: Executor,
  matchId: string,
  evaluationId: string | undefined,
  kind: string | undefined
): Promise<EvaluationRow | undefined> {
  let q = db.selectFrom('evaluations').selectAll().where('match_id', '=', matchId)
  if (evaluationId !== undefined) q = q.where('id', '=', evaluationId)
  else q = q.where('status', '=', 'due')
  if (kind !== undefined) q = q.where('kind', '=', kind)
  return await q.orderBy('due_on').orderBy('id').limit(1).forUpdate().executeTakeFirst()
}

export async function completeEvaluation(
  db: Executor,
  id: string,
  values: { held_on: string; completed_on: string; recorded_by: string; recorded_role: string }
): Promise<EvaluationRow> {
  return await db
    .updateTable('evaluations')
    .set({ ...values, status: 'completed', version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export type NewResponse = Omit<EvaluationResponseRow, 'id' | 'created_at'>

export async function insertResponses(db: Executor, rows: NewResponse[]): Promise<EvaluationResponseRow[]> {
  if (rows.length === 0) return []
  return await db.insertInto('evaluation_responses').values(rows).returningAll().execute()
}

export async function responsesFor(db: Executor, evaluationIds: string[]): Promise<EvaluationResponseRow[]> {
  if (evaluationIds.length === 0) return []
  return await db
    .selectFrom('evaluation_responses')
    .selectAll()
    .where('evaluation_id', 'in', evaluationIds)
    .orderBy('evaluation_id')
    .orderBy('respondent')
    .execute()
}

/** The day of a match's latest status change. */
export async function latestStatusDay(db: Executor, matchId: string): Promise<string | null> {
  const latest = await db
    .selectFrom('match_status_history')
    .select((eb) => eb.fn.max('on_date').as('on_date'))
    .where('match_id', '=', matchId)
    .executeTakeFirst()
  return latest?.on_date ?? null
}

/** The match an evaluation is recorded against, share-locked so its status cannot change meanwhile; a mentor only its own. */
export async function shareMatch(
  db: Executor,
  scope: { org: string; mentorId?: string },
  matchId: string
): Promise<
  { id: string; status: string; started_on: string | null; programme_id: string; organisation_id: string } | undefined
> {
  let q = db
    .selectFrom('matches')
    .select(['id', 'status', 'started_on', 'programme_id', 'organisation_id'])
    .where('organisation_id', '=', scope.org)
    .where('id', '=', matchId)
  if (scope.mentorId !== undefined) q = q.where('mentor_id', '=', scope.mentorId)
  return await q.forShare().executeTakeFirst()
}

/** An evaluation due, with what its reminders quote and whom they go to. */
export interface DueRow {
  id: string
  organisation_id: string
  kind: string
  due_on: string
  match_id: string
  mentor_id: string
  mentor_email: string | null
  reference: string
  programme_name: string
}

/** Records the last reminder threshold written for each evaluation. */
export async function markReminded(db: Executor, marks: Array<{ id: string; threshold: string }>): Promise<void> {
  if (marks.length === 0) return
  await sql`
    update evaluations e set reminded_threshold = v.threshold
    from unnest(${marks.map((m) => m.id)}::uuid[], ${marks.map((m) => m.threshold)}::text[]) as v(id, threshold)
    where e.id = v.id`.execute(db)
}

/** One keyset batch of the evaluations due up to `horizon` whose current reminder has not been written yet. */
export async function dueBatch(
  db: Executor,
  org: string | null,
  asOf: string,
  horizon: string,
  after: { due_on: string; id: string } | null,
  size: number
): Promise<DueRow[]> {
  const rows = await sql<DueRow>`
    select e.id, e.organisation_id, e.kind, e.due_on::text as due_on, e.match_id,
           m.mentor_id, case when mt.status <> 'withdrawn' then mt.email end as mentor_email,
           r.reference, p.name as programme_name
    from evaluations e
    join matches m on m.id = e.match_id
    join referrals r on r.id = m.referral_id
    join programmes p on p.id = e.programme_id
    left join mentors mt on mt.id = m.mentor_id
    where e.status = 'due' and e.due_on <= ${horizon}::date
      and e.reminded_threshold is distinct from (case
        when ${asOf}::date < e.due_on then 'due-soon'
        when ${asOf}::date - e.due_on < 7 then 'due'
        else 'overdue-week-' || ((${asOf}::date - e.due_on) / 7) end)
      ${org !== null ? sql`and e.organisation_id = ${org}` : sql``}
      ${after !== null ? sql`and (e.due_on, e.id) > (${after.due_on}::date, ${after.id}::uuid)` : sql``}
    order by e.due_on, e.id
    limit ${size}`.execute(db)
  return rows.rows
}

/** Refreshes the planner's statistics after a large change to the evaluations. */
export async function analyzeEvaluations(db: Executor): Promise<void> {
  await sql`analyze evaluations`.execute(db)
}
