import { sql, type RawBuilder } from 'kysely'
import type { MentorStatus } from '../schemas/mentors.js'
import type { Executor } from '../db/database.js'
import type { MentorRow, MentorUpdate, NewMentor } from '../db/types.js'
import type { Position } from '../lib/cursor.js'
import { prepare } from '../db/prepared.js'

/** Who may see which mentors: the organisation, narrowed to its own record for a mentor. */
export interface MentorScope {
  org: string
  mentorId?: string
}

export type MentorWithProgrammes = MentorRow & { programme_ids: string[] }

const programmeIds = sql<
  string[]
>`coalesce((select array_agg(mp.programme_id order by mp.programme_id) from mentor_programmes mp where mp.mentor_id = mentors.id), '{}')`

export async function insertMentor(db: Executor, row: NewMentor): Promise<MentorRow> {
  return await db.insertInto('mentors').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function setProgrammes(db: Executor, mentorId: string, ids: string[]): Promise<void> {
  await db
    .deleteFrom('mentor_programmes')
    .where('mentor_id', '=', mentorId)
    .where('programme_id', 'not in', ids)
    .execute()
  await db
    .insertInto('mentor_programmes')
    .values(ids.map((id) => ({ mentor_id: mentorId, programme_id: id })))
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** The ids among `ids` that are programmes of the organisation. */
export async function programmesOf(
  db: Executor,
  org: string,
  ids: string[]
): Promise<Array<{ id: string; rules: unknown }>> {
  if (ids.length === 0) return []
  return await db
    .selectFrom('programmes')
    .select(['id', 'rules'])
    .where('organisation_id', '=', org)
    .where('id', 'in', ids)
    .execute()
}

const statusOf = prepare<{ id: string; org: string }, { status: string }>('mentor_status', (db, p) =>
  db.selectFrom('mentors').select('status').where('id', '=', p.id).where('organisation_id', '=', p.org)
)

/** The mentor's status, read on every request a mentor makes (a prepared primary-key lookup). */
export async function mentorStatus(db: Executor, org: string, id: string): Promise<string | undefined> {
  return (await statusOf(db, { id, org }))[0]?.status
}

export async function findMentor(
  db: Executor,
  scope: MentorScope,
  id: string
): Promise<MentorWithProgrammes | undefined> {
  let q = db
    .selectFrom('mentors')
    .selectAll()
    .select(programmeIds.as('programme_ids'))
    .where('id', '=', id)
    .where('organisation_id', '=', scope.org)
  if (scope.mentorId !== undefined) q = q.where('id', '=', scope.mentorId)
  return await q.executeTakeFirst()
}

/** The mentor, locked for a change. */
export async function lockMentor(
  db: Executor,
  scope: MentorScope,
  id: string
): Promise<MentorWithProgrammes | undefined> {
  let q = db
    .selectFrom('mentors')
    .selectAll()
    .select(programmeIds.as('programme_ids'))
    .where('id', '=', id)
    .where('organisation_id', '=', scope.org)
  if (scope.mentorId !== undefined) q = q.where('id', '=', scope.mentorId)
  return await q.forUpdate().executeTakeFirst()
}

export interface MentorFilter {
  status?: MentorStatus
  programme_id?: string
  /** Mentor ids cleared (or not) on the day, already worked out by the compliance module. */
  cleared?: { value: boolean; query: RawBuilder<{ mentor_id: string }> }
}

export async function listMentors(
  db: Executor,
  scope: MentorScope,
  filter: MentorFilter,
  after: Position | null,
  limit: number
): Promise<MentorWithProgrammes[]> {
  let q = db
    .selectFrom('mentors')
    .selectAll()
    .select(programmeIds.as('programme_ids'))
    .where('organisation_id', '=', scope.org)
  if (scope.mentorId !== undefined) q = q.where('id', '=', scope.mentorId)
  if (filter.status !== undefined) q = q.where('status', '=', filter.status)
  if (filter.programme_id !== undefined) {
    const pid = filter.programme_id
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('mentor_programmes as mp')
          .select('mp.mentor_id')
          .whereRef('mp.mentor_id', '=', 'mentors.id')
          .where('mp.programme_id', '=', pid)
      )
    )
  }
  if (filter.cleared !== undefined) {
    q = filter.cleared.value
      ? q.where(sql<boolean>`mentors.id in (${filter.cleared.query})`)
      : q.where(sql<boolean>`mentors.id not in (${filter.cleared.query})`)
  }
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.at, after.id)))
  return await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()
}

export async function updateMentor(db: Executor, id: string, set: MentorUpdate): Promise<MentorRow> {
  return await db
    .updateTable('mentors')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** The clearance last announced to webhook subscribers, per mentor (null: never worked out). */
export async function announcedClearance(
  db: Executor,
  ids: string[]
): Promise<Array<{ id: string; organisation_id: string; announced_cleared: boolean | null }>> {
  if (ids.length === 0) return []
  return await db
    .selectFrom('mentors')
    .select(['id', 'organisation_id', 'announced_cleared'])
    .where('id', 'in', ids)
    .execute()
}

/** Not a change of the mentor's record: its version (and ETag) stays. */
export async function setAnnouncedClearance(db: Executor, id: string, cleared: boolean): Promise<void> {
  await db.updateTable('mentors').set({ announced_cleared: cleared }).where('id', '=', id).execute()
}

export interface MentorHistoryInput {
  mentor_id: string
  from_status: MentorStatus | null
  to_status: MentorStatus
  actor_id: string
  actor_role: string
  reason?: string | null
}

export async function insertHistory(db: Executor, entry: MentorHistoryInput): Promise<void> {
  await db
    .insertInto('mentor_status_history')
    .values({ ...entry, reason: entry.reason ?? null })
    .execute()
}

export async function listHistory(
  db: Executor,
  mentorId: string
): Promise<
  Array<{
    from_status: MentorStatus | null
    to_status: MentorStatus
    actor_id: string
    actor_role: string
    reason: string | null
    at: Date
  }>
> {
  return await db
    .selectFrom('mentor_status_history')
    .select(['from_status', 'to_status', 'actor_id', 'actor_role', 'reason', 'created_at as at'])
    .where('mentor_id', '=', mentorId)
    .orderBy('id')
    .execute()
}
