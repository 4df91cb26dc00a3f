import type { Executor } from '../db/database.js'

/** Append-only vetting records. Every function is scoped by a mentor id already checked against the caller's organisation. */

export async function insertInterview(
  db: Executor,
  row: {
    mentor_id: string
    held_on: string
    interviewer: string
    outcome: string
    notes: string | null
    recorded_by: string
  }
) {
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

export async function insertReference(
  db: Executor,
  row: {
    mentor_id: string
    referee_name: string
    relationship: string
    requested_on: string
    received_on: string | null
    satisfactory: boolean | null
    recorded_by: string
  }
) {
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

export async function insertTraining(
  db: Executor,
  row: {
    mentor_id: string
    kind: string
    title: string | null
    completed_on: string
    hours: number
    provider: string
    recorded_by: string
  }
) {
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

export interface NewDbsCheck {
  mentor_id: string
  level: string
  workforce: string
  certificate_number: string
  issued_on: string
  update_service_subscribed: boolean
  update_service_subscription_id: string | null
  outcome: string
  risk_decision: string | null
  renewal_in_progress: boolean
  recorded_by: string
}

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

export async function insertStatusChecks(
  db: Executor,
  rows: Array<{ dbs_check_id: string; checked_on: string; result: string; recorded_by: string }>
) {
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
