import { sql, type Insertable, type Updateable } from 'kysely'
import type { Executor } from '../db/database.js'
import type { ErasureRequestRow, ErasureRequestsTable } from '../db/types.js'

export async function insertErasure(db: Executor, row: Insertable<ErasureRequestsTable>): Promise<ErasureRequestRow> {
  return await db.insertInto('erasure_requests').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function findErasure(
  db: Executor,
  org: string,
  id: string,
  lock = false
): Promise<ErasureRequestRow | undefined> {
  let q = db.selectFrom('erasure_requests').selectAll().where('id', '=', id).where('organisation_id', '=', org)
  if (lock) q = q.forUpdate()
  return await q.executeTakeFirst()
}

export async function updateErasure(
  db: Executor,
  id: string,
  set: Updateable<ErasureRequestsTable>
): Promise<ErasureRequestRow> {
  return await db
    .updateTable('erasure_requests')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** The state of the subject's records that decides what may be erased. */
export async function erasureFacts(db: Executor, org: string, referralIds: string[], mentorIds: string[]) {
  const referrals =
    referralIds.length === 0
      ? []
      : await db
          .selectFrom('referrals')
          .select(['id', 'reference', 'status'])
          .where('organisation_id', '=', org)
          .where('id', 'in', referralIds)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
  const matches =
    referralIds.length === 0
      ? []
      : await db
          .selectFrom('matches')
          .select(['id', 'referral_id', 'status'])
          .where('organisation_id', '=', org)
          .where('referral_id', 'in', referralIds)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
  const mentors =
    mentorIds.length === 0
      ? []
      : await db
          .selectFrom('mentors')
          .select(['id', 'status'])
          .where('organisation_id', '=', org)
          .where('id', 'in', mentorIds)
          .orderBy('created_at')
          .execute()
  const concerns = await db
    .selectFrom('safeguarding_concerns')
    .select(['id', 'kind', 'referral_id', 'mentor_id'])
    .where('organisation_id', '=', org)
    .where((eb) =>
      eb.or([
        ...(referralIds.length > 0 ? [eb('referral_id', 'in', referralIds)] : []),
        ...(mentorIds.length > 0 ? [eb('mentor_id', 'in', mentorIds)] : [])
      ])
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return { referrals, matches, mentors, concerns }
}

/** The messages about a young person's records (referral, match, evaluation, concern) or about a mentor. */
export async function notificationsAbout(
  db: Executor,
  org: string,
  referralIds: string[],
  mentorIds: string[]
): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    select n.id from notifications n
    where n.organisation_id = ${org} and n.anonymised_at is null and (
      (n.subject_type = 'referral' and n.subject_id = any(${referralIds}::uuid[]))
      or (n.subject_type = 'match' and n.subject_id in (select id from matches where referral_id = any(${referralIds}::uuid[])))
      or (n.subject_type = 'evaluation' and n.subject_id in (select e.id from evaluations e join matches m on m.id = e.match_id where m.referral_id = any(${referralIds}::uuid[])))
      or (n.subject_type = 'mentor' and n.subject_id = any(${mentorIds}::uuid[])))
    order by n.id for update of n`.execute(db)
  return rows.rows.map((r) => r.id)
}
