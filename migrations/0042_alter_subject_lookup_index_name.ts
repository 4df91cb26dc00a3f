import { sql, type Kysely } from 'kysely'

/**
 * 0041 named its index on a young person's name and date of birth `referrals_young_person_idx`, the
 * name 0091 gives the index on linked referrals' `young_person_id`. Renamed here, before 0091 runs, so
 * both exist; 0041 stays as it is.
 */
export async function up (db: Kysely<any>): Promise<void> {
  await sql`alter index referrals_young_person_idx rename to referrals_subject_lookup_idx`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter index referrals_subject_lookup_idx rename to referrals_young_person_idx`.execute(db)
}
