import type { Insertable } from 'kysely'
import type { Executor } from '../db/database.js'
import type {
  MentorDbsChecksTable,
  MentorDbsStatusChecksTable,
  MentorInterviewsTable,
  MentorReferencesTable,
  MentorTrainingsTable
} from '../db/types.js'

/** Append-only vetting records. Every function is scoped by a mentor id already checked against the caller's organisation. */

export async function insertInterview(db: Executor, row: Insertable<MentorInterviewsTable>) {
  return await db.insertInto('mentor_interviews').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function listInterviews(db: Executor, mentorId: string) {
  return await db
    .selectFrom('mentor_interviews')
    .selectAll()
    .where('mentor_id', '=', mentorId)
    .orderBy('held_on')
    .orderBy('created_at')
    .execute()
}

export async function insertReference(db: Executor, row: Insertable<MentorReferencesTable>) {
  return await db.insertInto('mentor_references').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function listReferences(db: Executor, mentorId: string) {
  return await db
    .selectFrom('mentor_references')
    .selectAll()
    .where('mentor_id', '=', mentorId)
    .orderBy('requested_on')
    .orderBy('created_at')
    .execute()
}

export async function insertTraining(db: Executor, row: Insertable<MentorTrainingsTable>) {
  return await db.insertInto('mentor_trainings').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function listTrainings(db: Executor, mentorId: string) {
  return await db
    .selectFrom('mentor_trainings')
    .selectAll()
    .where('mentor_id', '=', mentorId)
    .orderBy('completed_on')
    .orderBy('created_at')
    .execute()
}

export type NewDbsCheck = Insertable<MentorDbsChecksTable>

export async function insertDbsCheck(db: Executor, row: NewDbsCheck) {
  return await db.insertInto('mentor_dbs_checks').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findDbsCheck(db: Executor, mentorId: string, id: string) {
  return await db
    .selectFrom('mentor_dbs_checks')
    .selectAll()
    .where('mentor_id', '=', mentorId)
    .where('id', '=', id)
    .executeTakeFirst()
}

export async function listDbsChecks(db: Executor, mentorId: string) {
  return await db
    .selectFrom('mentor_dbs_checks')
    .selectAll()
    .where('mentor_id', '=', mentorId)
    .orderBy('issued_on')
    .orderBy('created_at')
    .execute()
}

export async function insertStatusChecks(db: Executor, rows: Array<Insertable<MentorDbsStatusChecksTable>>) {
  if (rows.length === 0) return []
  return await db.insertInto('mentor_dbs_status_checks').values(rows).returningAll().execute()
}

export async function listStatusChecks(db: Executor, dbsCheckIds: string[]) {
  if (dbsCheckIds.length === 0) return []
  return await db
    .selectFrom('mentor_dbs_status_checks')
    .selectAll()
    .where('dbs_check_id', 'in', dbsCheckIds)
    .orderBy('checked_on')
    .orderBy('created_at')
    .execute()
}
