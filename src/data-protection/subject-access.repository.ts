import { sql } from 'kysely'
import type { Executor } from '../db/database.js'
import type { SubjectAccessRequestRow, SubjectAccessRequestsTable } from '../db/types.js'
import type { Insertable, Updateable } from 'kysely'
import type { Position } from '../lib/cursor.js'

export async function insertRequest(
  db: Executor,
  row: Insertable<SubjectAccessRequestsTable>
): Promise<SubjectAccessRequestRow> {
  return await db.insertInto('subject_access_requests').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findRequest(
  db: Executor,
  org: string,
  id: string,
  lock = false
): Promise<SubjectAccessRequestRow | undefined> {
  let q = db.selectFrom('subject_access_requests').selectAll().where('id', '=', id).where('organisation_id', '=', org)
  if (lock) q = q.forUpdate()
  return await q.executeTakeFirst()
}

export async function updateRequest(
  db: Executor,
  id: string,
  set: Updateable<SubjectAccessRequestsTable>
): Promise<SubjectAccessRequestRow> {
  return await db
    .updateTable('subject_access_requests')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** What is due first: by due date, then id (the cursor carries the due date as midnight UTC). */
export async function listRequests(
  db: Executor,
  org: string,
  status: string | undefined,
  after: Position | null,
  limit: number
): Promise<SubjectAccessRequestRow[]> {
  let q = db.selectFrom('subject_access_requests').selectAll().where('organisation_id', '=', org)
  if (status !== undefined) q = q.where('status', '=', status)
  if (after !== null) {
    const due = after.exact.slice(0, 10)
    q = q.where((eb) => eb(eb.refTuple('due_on', 'id'), '>', eb.tuple(sql<string>`${due}::date`, after.id)))
  }
  return await q
    .orderBy('due_on')
    .orderBy('id')
    .limit(limit + 1)
    .execute()
}
